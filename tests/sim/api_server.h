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
/// pods/log, SelfSubjectAccessReview, and the /sim admin endpoints.
class ApiServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApiServer)

public:
    struct Options
    {
        quint64 expireAfterEvents = 0; // 0: watches never expire
        int dropWatchAfterMs = 0; // 0: never drop
        int bookmarkIntervalMs = 5000;
        QByteArray serverAddress; // host:port, for /api's serverAddressByClientCIDRs
    };

    ApiServer(SimStore *store, SimKubelet *kubelet, Options options, QObject *parent = nullptr);

    Refusals &refusals() { return m_refusals; }
    void setServerAddress(const QByteArray &hostPort) { m_options.serverAddress = hostPort; }
    void handle(HttpConnection *connection, const HttpRequest &request);

Q_SIGNALS:
    void bookmarkRequested();

private:
    struct Target;

    void route(HttpConnection *connection, const HttpRequest &request);
    bool routeCore(HttpConnection *connection, const HttpRequest &request, const QByteArrayList &segments);
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
    void accessReview(HttpConnection *connection, const HttpRequest &request);
    /// Checks the Impersonate-* headers against the caller's rights and routes as the impersonated user.
    void impersonate(HttpConnection *connection, const HttpRequest &request);
    void admin(HttpConnection *connection, const HttpRequest &request);

    bool checkAccess(HttpConnection *connection, const HttpRequest &request, const QByteArray &verb,
        const QByteArray &resource, const QByteArray &ns, const QByteArray &name);
    void sendObject(HttpConnection *connection, int status, const SimObject &object);
    void sendTableOrObject(HttpConnection *connection, const HttpRequest &request, const SimObject &object);

    SimStore *m_store;
    SimKubelet *m_kubelet;
    Options m_options;
    Refusals m_refusals;
};

/// Sends a metav1.Status error shaped exactly like the real server's.
void sendStatus(HttpConnection *connection, int code, const QByteArray &reason, const QByteArray &message,
    const QByteArray &detailsName = {}, const QByteArray &detailsKind = {},
    const std::vector<std::array<QByteArray, 3>> &causes = {});

} // namespace podtap::sim
