// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "refusals.h"
#include "sim_objects.h"

#include <QObject>

namespace podtap::sim {

class HttpConnection;
class JsonWriter;
class SimKubelet;
class SimStore;
struct HttpRequest;

/// @brief The Kubernetes API surface of kube-sim: discovery, core/v1 namespaces, nodes and pods,
/// pods/log, pods/exec (WebSocket), SelfSubjectAccessReview, and the /sim admin endpoints.
class ApiServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApiServer)

public:
    /// @brief Misbehaviour a test switches on (flags at start, /sim/faults while running).
    struct Faults
    {
        int closeWatchAfterMs = -1; // accept a watch, then end it cleanly after this long; -1: never
        int watchErrorCode = 0; // every watch gets one ERROR event with this code, then ends; 0: none
        int watchStatusCode = 0; // every watch is refused with this HTTP status; 0: none
        int failStatusCode = 0; // every API request (not /sim/) is refused with this status; 0: none
        bool stallWatches = false; // accept every watch, then send nothing and never end it (a half-open link)
        bool stallExecs = false; // exec sessions go silent and deaf (ExecSession::stall()): a half-open link
    };

    /// @brief What the server has served (API requests only, not /sim/), for tests to count.
    struct Stats
    {
        quint64 requests = 0;
        quint64 lists = 0;
        quint64 watches = 0;
        quint64 execsV5 = 0; // pods/exec sessions opened, by subprotocol
        quint64 execsV4 = 0;
        qint64 execsRunning = 0; // sessions whose command has not ended yet
        quint64 execOutputPauses = 0; // times a command's output waited for a slow client
    };

    struct Options
    {
        quint64 expireAfterEvents = 0; // 0: watches never expire
        int dropWatchAfterMs = 0; // 0: never drop
        int bookmarkIntervalMs = 5000;
        QByteArray serverAddress; // host:port, for /api's serverAddressByClientCIDRs
        Faults faults;
    };

    ApiServer(SimStore *store, SimKubelet *kubelet, Options options, QObject *parent = nullptr);

    Refusals &refusals() { return m_refusals; }
    void setServerAddress(const QByteArray &hostPort) { m_options.serverAddress = hostPort; }
    const Stats &stats() const { return m_stats; }
    void handle(HttpConnection *connection, const HttpRequest &request);

Q_SIGNALS:
    void bookmarkRequested();
    /// Every open watch ends cleanly now (the faults changed; clients reconnect into them).
    void endWatchesRequested();

private:
    struct Target
    {
        Kind kind = Kind::Pod;
        QByteArray ns; // the namespace in the path (namespaced resources)
        QByteArray name; // empty for a collection
        QByteArray subresource;
        bool watchPath = false;
    };

    void route(HttpConnection *connection, const HttpRequest &request);
    bool routeCore(HttpConnection *connection, const HttpRequest &request, const QByteArrayList &segments);
    /// apps/v1 and batch/v1 (api_workloads.cpp): discovery, and list, get and watch of workloads.
    bool routeWorkloads(HttpConnection *connection, const HttpRequest &request);
    void serveResource(HttpConnection *connection, const HttpRequest &request, const Target &target);
    void list(HttpConnection *connection, const HttpRequest &request, const Target &target);
    void watch(HttpConnection *connection, const HttpRequest &request, const Target &target);
    void get(HttpConnection *connection, const HttpRequest &request, const Target &target);
    void createPod(HttpConnection *connection, const HttpRequest &request, const Target &target);
    void createNamespace(HttpConnection *connection, const HttpRequest &request);
    void deletePod(HttpConnection *connection, const HttpRequest &request, const Target &target);
    void deleteNamespace(HttpConnection *connection, const HttpRequest &request, const Target &target);
    void patch(HttpConnection *connection, const HttpRequest &request, const Target &target);
    void podLog(HttpConnection *connection, const HttpRequest &request, const Target &target);
    void podExec(HttpConnection *connection, const HttpRequest &request, const Target &target);
    void accessReview(HttpConnection *connection, const HttpRequest &request);
    /// Checks the Impersonate-* headers against the caller's rights and routes as the impersonated user.
    void impersonate(HttpConnection *connection, const HttpRequest &request);
    void admin(HttpConnection *connection, const HttpRequest &request);
    void faults(HttpConnection *connection, const HttpRequest &request);

    bool checkAccess(HttpConnection *connection, const HttpRequest &request, const QByteArray &verb,
        const QByteArray &resource, const QByteArray &ns, const QByteArray &name);
    void sendObject(HttpConnection *connection, int status, const SimObject &object);
    void sendTableOrObject(HttpConnection *connection, const HttpRequest &request, const SimObject &object);

    SimStore *m_store;
    SimKubelet *m_kubelet;
    Options m_options;
    Refusals m_refusals;
    Stats m_stats;
};

/// The metav1.Status reason the real server gives with HTTP status @p code (InternalError when unknown).
QByteArray statusReason(int code);

/// Sends a metav1.Status error shaped exactly like the real server's.
void sendStatus(HttpConnection *connection, int code, const QByteArray &reason, const QByteArray &message,
    const QByteArray &detailsName = {}, const QByteArray &detailsKind = {},
    const std::vector<std::array<QByteArray, 3>> &causes = {});

} // namespace podtap::sim
