/* SPDX-License-Identifier: MPL-2.0 */
/*
 * Interoperability scenarios: one program, two roles, one endpoint.
 *
 * Each scenario is run by two processes, possibly linked against two
 * different ZeroMQ implementations (ours, Debian's libzmq, or pyzmq through
 * tests/interop/peer.py, which mirrors this file scenario by scenario).  One
 * process plays role "a", the other role "b"; independently of the roles,
 * one binds the endpoint and the other connects to it.  Only the plain,
 * non-draft public API of zmq.h is used, so the same source builds against
 * Debian's libzmq 4.3.4 headers and against ours.
 *
 * A scenario returns 0 on success.  On failure it prints one or more lines
 * starting with "interop <scenario>/<role>" to stderr and returns -1.  Every
 * receive and every blocking send has a 10 s timeout, so a scenario never
 * hangs on a silent peer.
 *
 * The binding process prints the line "ready" on stdout (and flushes it)
 * once its main endpoint is bound; the driver starts the connecting process
 * only then, so no scenario depends on reconnection timing.
 *
 * Scenarios (role a / role b):
 *   pair           PAIR / PAIR: a few messages each way
 *   pushpull       PUSH / PULL: 1000 messages in order, content checked
 *   reqrep         REQ / REP: 100 round trips
 *   dealer_router  ROUTER / two DEALERs: explicit routing id "client-7" and
 *                  a generated one (5 bytes, first byte 0x00)
 *   pubsub         PUB / SUB: prefix filtering, unsubscribe; a PUSH/PULL
 *                  back channel tells the publisher when the subscriptions
 *                  have arrived
 *   xpubsub        XPUB / XSUB: subscription messages seen by XPUB
 *   multipart      PAIR / PAIR: empty frames in the middle and at the end
 *   sizes          PAIR / PAIR: bodies of 0 bytes to 10 MiB, both ways
 *   heartbeat      PAIR / PAIR: ZMTP heartbeats keep an idle link alive
 *   stream         STREAM / STREAM: raw bytes, connect and disconnect
 *                  notifications, close by a zero-length send
 *   zmtp2_*        role b only: the zmq side of the ZMTP/2.0 scenarios whose
 *                  role a is the raw ZMTP/2.0 peer in run_interop.py
 */
#ifndef ZMQ_INTEROP_SCENARIOS_H
#define ZMQ_INTEROP_SCENARIOS_H

/* Runs one side of a scenario.  role is "a" or "b"; endpoint is a tcp://
 * or ipc:// address; do_bind chooses zmq_bind over zmq_connect for the
 * main endpoint.  Returns 0 on success, -1 after printing a diagnostic. */
typedef int interop_scenario_fn(const char *role, const char *endpoint,
                                int do_bind);

struct interop_scenario {
    const char *name;
    interop_scenario_fn *run;
};

/* The scenarios, ended by an entry whose name is NULL. */
extern const struct interop_scenario interop_scenarios[];

/* Returns the scenario called name, or NULL. */
const struct interop_scenario *interop_find_scenario(const char *name);

#endif
