// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "kube/kubeconfig.h"
#include "kube/list_watch.h"

#include <QObject>
#include <QPointer>
#include <QString>

#include <memory>

namespace podtap::kube {

class KubeClient;

/// @brief One live connection to one kubeconfig context: the client, the namespace, node and
/// pod watches and the server's version, summed up in one state a face presents.
///
/// The client is built by clientForContext(), the path podtapctl uses, so every credential kind
/// (exec plugins included, run off the GUI thread) works the same in every face.
class ClusterSession final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClusterSession)

public:
    enum class State {
        Connecting, ///< nothing listed yet (an exec plugin may still be running)
        Synced, ///< the pod list is complete and its watch open
        Stale, ///< the connection dropped after a full list; what was listed is kept while it reconnects
        Error, ///< unusable context, or a failure before the first full list: errorText() says why and what to do
    };
    Q_ENUM(State)

    /// Resolves @p contextName in @p kubeconfig; an unusable context gives State::Error at once.
    ClusterSession(const Kubeconfig &kubeconfig, const QString &contextName, QObject *parent = nullptr);
    ~ClusterSession() override;

    /// Asks for /version and starts the three watches (no-op for an unusable context).
    void start();

    State state() const;
    const QString &contextName() const { return m_contextName; }
    /// The reason for State::Error (or the last error while Stale), with its fix; never a secret.
    QString errorText() const;
    /// What the kubeconfig says is wrong with the context (empty when nothing).
    const QString &contextProblem() const { return m_contextError; }
    /// True when the context cannot be used at all (no client): errorText() is the kubeconfig's complaint.
    bool isUnusable() const { return !m_client; }
    /// True when the kubeconfig turned certificate verification off for this context.
    bool isInsecure() const;
    /// The API server's host, for status lines; empty when unusable.
    QString serverHost() const;
    const QString &serverVersion() const { return m_serverVersion; }

    KubeClient *client() const { return m_client.get(); }
    ListWatch *podWatch() const { return m_podWatch; }
    ListWatch *namespaceWatch() const { return m_namespaceWatch; }
    ListWatch *nodeWatch() const { return m_nodeWatch; }

Q_SIGNALS:
    void stateChanged(podtap::kube::ClusterSession::State state);
    /// The server answered /version (gitVersion).
    void serverVersionKnown(const QString &version);

private:
    void setError(const QString &error);
    void notify();

    QString m_contextName;
    QString m_contextError;
    std::unique_ptr<KubeClient> m_client;
    QPointer<ListWatch> m_podWatch;
    QPointer<ListWatch> m_namespaceWatch;
    QPointer<ListWatch> m_nodeWatch;
    QString m_serverVersion;
    QString m_error;
    bool m_started = false;
    bool m_everSynced = false; ///< the pod list completed once: there is something to be stale
};

} // namespace podtap::kube
