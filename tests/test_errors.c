#include "testutil.h"
static void placeholder(void){ CHECK(0); }
TEST_MAIN(TEST(placeholder))
