// SPDX-License-Identifier: Apache-2.0
// The apps/v1 and batch/v1 routes of ApiServer, kept apart from the core/v1 ones.
#include "api_server.h"

#include "http_server.h"
#include "sim_workloads.h"

namespace podtap::sim {

bool ApiServer::routeWorkloads(HttpConnection *connection, const HttpRequest &request)
{
    const QByteArray &path = request.path;
    if (!path.startsWith("/apis/apps") && !path.startsWith("/apis/batch")) {
        return false;
    }
    const bool get = request.method == "GET";
    if (const QByteArray document = workloads::discovery(path); !document.isEmpty()) {
        if (!get) {
            sendStatus(
                connection, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
            return true;
        }
        connection->respond(200, "application/json", document);
        return true;
    }
    // /apis/<group>/v1/[watch/](namespaces/<ns>/)<resource>[/<name>]
    QByteArrayList segments = path.mid(6).split('/');
    while (!segments.isEmpty() && segments.last().isEmpty()) {
        segments.removeLast();
    }
    if (segments.size() < 3 || segments[1] != "v1") {
        return false;
    }
    const QByteArray group = segments[0];
    segments.remove(0, 2);
    Target target;
    if (segments.first() == "watch") {
        target.watchPath = true;
        segments.removeFirst();
    }
    if (segments.size() >= 3 && segments[0] == "namespaces") {
        target.ns = segments[1];
        segments.remove(0, 2);
    }
    if (segments.isEmpty() || segments.size() > 2 || !workloads::kindOfResource(group, segments[0], &target.kind)) {
        return false;
    }
    if (segments.size() == 2) {
        if (target.ns.isEmpty()) {
            return false; // a named workload needs its namespace
        }
        target.name = segments[1];
    }
    if (!get) {
        // kube-sim only serves workloads; nothing creates, changes or deletes them.
        sendStatus(
            connection, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        return true;
    }
    serveResource(connection, request, target);
    return true;
}

} // namespace podtap::sim
