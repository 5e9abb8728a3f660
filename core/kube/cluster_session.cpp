// SPDX-License-Identifier: Apache-2.0
#include "kube/cluster_session.h"

#include "kube/cluster_connection.h"
#include "kube/kube_client.h"
#include "kube/list_watch.h"

namespace podtap::kube {

ClusterSession::ClusterSession(const Kubeconfig &kubeconfig, const QString &contextName, QObject *parent)
    : QObject(parent)
    , m_contextName(contextName)
{
    const KubeconfigContext *context = kubeconfig.context(contextName);
    if (!context) {
        m_contextError = QStringLiteral("Context %1 is not in the kubeconfig; choose another context or fix the "
                                        "kubeconfig.")
                             .arg(contextName);
    } else if (!context->config || !context->error.isEmpty()) {
        m_contextError = context->error;
    }
    if (context && context->config) {
        m_client = clientForContext(*context);
    }
}

ClusterSession::~ClusterSession()
{
    // The watches use the client: they go first.
    for (ListWatch *watch : {m_podWatch.data(), m_namespaceWatch.data(), m_nodeWatch.data()}) {
        if (watch) {
            watch->stop();
            delete watch;
        }
    }
}

void ClusterSession::start()
{
    if (!m_client || m_started) {
        return;
    }
    m_started = true;
    KubeReply *version = m_client->get(QStringLiteral("/version"));
    version->onFinished(this, [this](KubeReply *reply) {
        if (reply->ok()) {
            m_serverVersion = reply->json().value(QStringLiteral("gitVersion")).toString();
            Q_EMIT serverVersionKnown(m_serverVersion);
        } else {
            m_error = reply->error().toString();
        }
        notify();
    });
    m_podWatch = new ListWatch(m_client.get(), QStringLiteral("/api/v1/pods"), {}, this);
    m_namespaceWatch = new ListWatch(m_client.get(), QStringLiteral("/api/v1/namespaces"), {}, this);
    m_nodeWatch = new ListWatch(m_client.get(), QStringLiteral("/api/v1/nodes"), {}, this);
    // The pod watch stands for the connection: it is what the operator looks at.
    connect(m_podWatch, &ListWatch::errorOccurred, this, [this](const ApiError &error) { setError(error.toString()); });
    connect(m_podWatch, &ListWatch::relistFinished, this, [this] {
        m_everSynced = true;
        setError({});
    });
    connect(m_podWatch, &ListWatch::watchOpened, this, [this] { setError({}); });
    connect(m_podWatch, &ListWatch::staleChanged, this, &ClusterSession::notify);
    m_podWatch->start();
    m_namespaceWatch->start();
    m_nodeWatch->start();
    notify();
}

ClusterSession::State ClusterSession::state() const
{
    if (!m_client) {
        return State::Error;
    }
    // Stale means listed data is kept while reconnecting; before the first list, a failure is an error.
    if (m_podWatch && m_podWatch->isStale() && m_everSynced) {
        return State::Stale;
    }
    if (!m_error.isEmpty()) {
        return State::Error;
    }
    return m_podWatch && m_podWatch->isSynced() ? State::Synced : State::Connecting;
}

QString ClusterSession::errorText() const
{
    return m_client ? m_error : m_contextError;
}

bool ClusterSession::isInsecure() const
{
    return m_client && m_client->isInsecure();
}

QString ClusterSession::serverHost() const
{
    return m_client ? m_client->config().server.host() : QString();
}

void ClusterSession::setError(const QString &error)
{
    m_error = error;
    notify();
}

void ClusterSession::notify()
{
    // Every change of the error text counts too: a face shows it.
    Q_EMIT stateChanged(state());
}

} // namespace podtap::kube
