// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "tap/preflight_fix.h"
#include "tap/tap_request.h"

#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QStringList>

namespace podtap::kube {
class KubeClient;
class KubeReply;
} // namespace podtap::kube

namespace podtap {

/// @brief The checks every tap makes before it creates anything, shared by TapSession and WorkloadTapSession:
/// the permissions it needs in the agent namespace (SelfSubjectAccessReview), the agent namespace (created when
/// missing), and the API server's admission of an agent pod (`dryRun=All`).
///
/// Asynchronous: start(), then passed() or failed() (what was refused, and its fix), exactly once. Deleting the
/// object drops the answers still due.
class TapPreflight final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TapPreflight)

public:
    /// @p dryRunPod: an agent pod as the tap will create it, for the admission check.
    TapPreflight(kube::KubeClient *client, Destination destination, QString agentNamespace, QJsonObject dryRunPod,
        QObject *parent = nullptr);
    ~TapPreflight() override;

    void start();

    /// `get` and `create pods/exec` are allowed, so the stream through the API server may run (after passed()).
    bool streamAllowed() const { return m_streamAllowed; }
    /// Why it may not, with the fix (when streamAllowed() is false).
    const PreflightFix &streamRefusal() const { return m_streamRefusal; }
    /// The admission warnings of the dry run (e.g. Pod Security warn mode), also emitted by warning().
    const QStringList &warnings() const { return m_warnings; }

Q_SIGNALS:
    void progress(const QString &text);
    void warning(const QString &text);
    void passed();
    void failed(const QString &summary, const QString &fix);

private:
    void ensureAgentNamespace();
    void dryRunCreate();
    void fail(const QString &summary, const QString &fix);

    kube::KubeClient *m_client;
    Destination m_destination;
    QString m_namespace;
    QJsonObject m_pod;
    int m_pending = 0;
    QStringList m_denied;
    bool m_streamAllowed = false;
    PreflightFix m_streamRefusal;
    QStringList m_warnings;
    bool m_done = false;
};

} // namespace podtap
