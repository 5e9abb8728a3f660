// SPDX-License-Identifier: Apache-2.0
#include "tap/tap_preflight.h"

#include "kube/api_error.h"
#include "kube/kube_client.h"
#include "tap/agent_namespace.h"

namespace podtap {

using kube::ApiError;
using kube::KubeClient;
using kube::KubeReply;

TapPreflight::TapPreflight(
    kube::KubeClient *client, Destination destination, QString agentNamespace, QJsonObject dryRunPod, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_destination(std::move(destination))
    , m_namespace(std::move(agentNamespace))
    , m_pod(std::move(dryRunPod))
{
}

TapPreflight::~TapPreflight() = default;

void TapPreflight::fail(const QString &summary, const QString &fix)
{
    if (m_done) {
        return;
    }
    m_done = true;
    Q_EMIT failed(summary, fix);
}

void TapPreflight::start()
{
    const QList<PermissionCheck> checks = tapPermissionChecks(m_destination);
    m_pending = int(checks.size());
    m_denied.clear();
    m_streamAllowed = m_destination.mayStream();
    for (const PermissionCheck &check : checks) {
        m_client->selfSubjectAccessReview(check.verb, check.resource, m_namespace, check.subresource)
            ->onFinished(this, [this, check](KubeReply *reply) {
                reply->deleteLater();
                if (m_done) {
                    return;
                }
                const QJsonObject status = reply->json().value(QLatin1String("status")).toObject();
                const bool allowed = reply->ok() && status.value(QLatin1String("allowed")).toBool();
                if (!allowed && check.required) {
                    m_denied << check.toString();
                } else if (!allowed && check.resourcePath() == QLatin1String("pods/exec")) {
                    // Only the fallback is lost: the tunnel may still work. Say so now, not when it is needed.
                    m_streamAllowed = false;
                    m_streamRefusal =
                        explainMissingPermission(check.verb, check.resourcePath(), QString(), m_namespace);
                }
                if (--m_pending > 0) {
                    return;
                }
                if (!m_denied.isEmpty()) {
                    // "get pods/log" → verb "get", resource "pods/log"
                    const QString first = m_denied.first();
                    const PreflightFix fix = explainMissingPermission(first.section(QLatin1Char(' '), 0, 0),
                        first.section(QLatin1Char(' '), 1), QString(), m_namespace);
                    fail(tr("You may not %1 in namespace %2, which a tap needs.")
                             .arg(m_denied.join(QStringLiteral(", ")), m_namespace),
                        fix.toText());
                    return;
                }
                ensureAgentNamespace();
            });
    }
}

void TapPreflight::ensureAgentNamespace()
{
    m_client->get(KubeClient::corePath(QStringLiteral("namespaces"), {}, m_namespace))
        ->onFinished(this, [this](KubeReply *reply) {
            reply->deleteLater();
            if (m_done) {
                return;
            }
            if (reply->ok()) {
                dryRunCreate();
                return;
            }
            if (!reply->error().isNotFound()) {
                const ApiError &error = reply->error();
                const PreflightFix fix = explainRefusal(
                    ApiRefusal {error.httpStatus, error.reason, error.message, error.detailsKind, error.detailsName},
                    m_namespace);
                fail(tr("Could not %1: %2").arg(tr("read namespace %1").arg(m_namespace), error.toString()), fix.fix);
                return;
            }
            Q_EMIT progress(tr("Creating the agent namespace %1").arg(m_namespace));
            m_client->create(KubeClient::corePath(QStringLiteral("namespaces")), agentNamespaceObject(m_namespace))
                ->onFinished(this, [this](KubeReply *created) {
                    created->deleteLater();
                    if (m_done) {
                        return;
                    }
                    if (created->ok() || created->error().isAlreadyExists()) {
                        dryRunCreate();
                        return;
                    }
                    ApiRefusal refusal {created->error().httpStatus, created->error().reason, created->error().message,
                        QStringLiteral("namespaces"), m_namespace};
                    refusal.reason = QStringLiteral("NotFound"); // what the operator must fix: it is missing
                    const PreflightFix fix = explainRefusal(refusal, m_namespace);
                    fail(tr("The agent namespace %1 does not exist, and creating it was refused: %2")
                             .arg(m_namespace, created->error().message),
                        fix.toText());
                });
        });
}

void TapPreflight::dryRunCreate()
{
    Q_EMIT progress(tr("Asking the API server to admit the agent pod (dry run)"));
    m_client->create(KubeClient::corePath(QStringLiteral("pods"), m_namespace), m_pod, true)
        ->onFinished(this, [this](KubeReply *reply) {
            reply->deleteLater();
            if (m_done) {
                return;
            }
            if (!reply->ok()) {
                const ApiError &e = reply->error();
                const PreflightFix fix = explainRefusal(
                    ApiRefusal {e.httpStatus, e.reason, e.message, e.detailsKind, e.detailsName}, m_namespace);
                fail(fix.summary.isEmpty() ? e.toString() : fix.summary + QLatin1Char('\n') + e.message, fix.fix);
                return;
            }
            for (const QString &text : reply->warnings()) {
                m_warnings << text;
                Q_EMIT warning(text);
            }
            m_done = true;
            Q_EMIT passed();
        });
}

} // namespace podtap
