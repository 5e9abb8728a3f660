// SPDX-License-Identifier: Apache-2.0
#include "tap/tap_planner.h"

#include "kube/api_error.h"
#include "kube/kube_client.h"
#include "tap/local_receiver.h"
#include "tap/preflight_fix.h"
#include "tap/target_resolution.h"

#include <QJsonArray>
#include <QRandomGenerator>
#include <QSet>
#include <QUrlQuery>

namespace podtap {

using kube::ApiError;
using kube::KubeClient;
using kube::KubeReply;

static const QString kPods = QStringLiteral("pods");

QSet<quint32> podtapVnisInUse(const QJsonArray &agentPods)
{
    QSet<quint32> used;
    for (const QJsonValue &item : agentPods) {
        const QJsonObject annotations =
            item.toObject().value(QLatin1String("metadata")).toObject().value(QLatin1String("annotations")).toObject();
        const uint vni = annotations.value(QLatin1String(kAnnotationVni)).toString().toUInt();
        if (vni != 0) {
            used.insert(vni);
        }
        // A session with a second device for egress holds that VNI on the node too.
        const uint egress = annotations.value(QLatin1String(kAnnotationEgressVni)).toString().toUInt();
        if (egress != 0) {
            used.insert(egress);
        }
        // A workload tap's node agent holds the VNIs of every pod in its target list.
        for (const std::uint32_t listed :
            vnisInTargetList(annotations.value(QLatin1String(kAnnotationTargets)).toString())) {
            used.insert(listed);
        }
    }
    return used;
}

TapPlanner::TapPlanner(kube::KubeClient *client, TapRequest request, TapPlan plan, QObject *parent)
    : QObject(parent)
    , m_client(client)
    , m_request(std::move(request))
    , m_plan(std::move(plan))
{
}

TapPlanner::~TapPlanner() = default;

QList<PodAddress> TapPlanner::podAddresses() const
{
    QList<PodAddress> pods;
    if (!m_targetPodIp.isEmpty()) {
        pods << PodAddress {m_targetPodIp, m_plan.targetNamespace, m_plan.targetPod};
    }
    return pods + m_otherPods;
}

template<typename Callback>
void TapPlanner::request(kube::KubeReply *reply, Callback callback)
{
    reply->onFinished(this, [this, callback = std::move(callback)](KubeReply *finished) {
        finished->deleteLater();
        if (!m_done) {
            callback(finished);
        }
    });
}

void TapPlanner::start()
{
    const bool targetKnown =
        !m_plan.targetNode.isEmpty() && !m_plan.targetNodeIp.isEmpty() && !m_plan.containerId.isEmpty();
    if (targetKnown) {
        resolveDestination();
        return;
    }
    if (!m_client) {
        fail(tr("Pod %1/%2 cannot be looked up without a cluster connection.")
                 .arg(m_plan.targetNamespace, m_plan.targetPod),
            tr("Name the target's node, its InternalIP and a running container ID, or connect to the cluster."));
        return;
    }
    resolveTarget();
}

void TapPlanner::resolveTarget()
{
    Q_EMIT progress(tr("Looking up pod %1/%2").arg(m_plan.targetNamespace, m_plan.targetPod));
    request(
        m_client->get(KubeClient::corePath(kPods, m_plan.targetNamespace, m_plan.targetPod)), [this](KubeReply *reply) {
            if (!reply->ok()) {
                if (reply->error().isNotFound()) {
                    fail(tr("Pod %1/%2 was not found.").arg(m_plan.targetNamespace, m_plan.targetPod),
                        tr("Check the namespace and the pod name (kubectl get pods -n %1).")
                            .arg(m_plan.targetNamespace));
                } else {
                    failWithApiError(
                        tr("read pod %1/%2").arg(m_plan.targetNamespace, m_plan.targetPod), reply->error());
                }
                return;
            }
            QString error;
            const auto target = targetFromPod(reply->json(), &error);
            if (!target) {
                fail(tr("Pod %1/%2 cannot be tapped: %3").arg(m_plan.targetNamespace, m_plan.targetPod, error));
                return;
            }
            m_plan.targetNode = target->node;
            m_plan.containerId = target->containerId;
            m_targetPodIp = target->podIp;
            if (m_collectPodAddresses) {
                lookUpPodAddresses();
            }
            resolveNode();
        });
}

void TapPlanner::lookUpPodAddresses()
{
    // The capture shows pods by name: the addresses of running pods (one page is plenty for the
    // peers of a capture). Best effort, beside the planning steps and after them: without the
    // right to list pods cluster-wide, only the target is named.
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("limit"), QStringLiteral("500"));
    query.addQueryItem(QStringLiteral("fieldSelector"), QStringLiteral("status.phase=Running"));
    m_client->get(KubeClient::corePath(kPods, {}), query)->onFinished(this, [this](KubeReply *reply) {
        reply->deleteLater();
        if (!reply->ok()) {
            return;
        }
        for (const QJsonValue &item : reply->json().value(QLatin1String("items")).toArray()) {
            const QJsonObject metadata = item[QLatin1String("metadata")].toObject();
            const QString ip = item[QLatin1String("status")][QLatin1String("podIP")].toString();
            const bool hostNetwork = item[QLatin1String("spec")][QLatin1String("hostNetwork")].toBool();
            if (!ip.isEmpty() && !hostNetwork && ip != m_targetPodIp) {
                m_otherPods << PodAddress {ip, metadata.value(QLatin1String("namespace")).toString(),
                    metadata.value(QLatin1String("name")).toString()};
            }
        }
    });
}

void TapPlanner::resolveNode()
{
    Q_EMIT progress(tr("Looking up node %1").arg(m_plan.targetNode));
    lookUpNodeIp(m_plan.targetNode, tr("node %1").arg(m_plan.targetNode), &m_plan.targetNodeIp,
        [this] { resolveDestination(); });
}

void TapPlanner::lookUpNodeIp(const QString &node, const QString &what, QString *ip, const std::function<void()> &next)
{
    request(m_client->get(KubeClient::corePath(QStringLiteral("nodes"), {}, node)),
        [this, what, ip, next](KubeReply *reply) {
            if (!reply->ok()) {
                failWithApiError(tr("read %1").arg(what), reply->error());
                return;
            }
            QString error;
            *ip = nodeInternalIp(reply->json(), &error);
            if (ip->isEmpty()) {
                QString subject = what;
                subject[0] = subject[0].toUpper();
                fail(tr("%1 has no usable address: %2").arg(subject, error));
                return;
            }
            next();
        });
}

void TapPlanner::resolveDestination()
{
    switch (m_request.destination.kind) {
    case Destination::Kind::ThisMachine:
    case Destination::Kind::LocalInterface: {
        QString error;
        m_plan.destinationIp = m_localIp.isEmpty() ? localAddressToward(m_plan.targetNodeIp, &error) : m_localIp;
        if (m_plan.destinationIp.isEmpty()) {
            fail(tr("Cannot find this machine's address toward node %1 (%2): %3")
                     .arg(m_plan.targetNode, m_plan.targetNodeIp, error),
                tr("Choose a node or an IP as the destination."));
            return;
        }
        chooseVni();
        return;
    }
    case Destination::Kind::Ip:
        m_plan.destinationIp = m_request.destination.value;
        chooseVni();
        return;
    case Destination::Kind::ApiServer:
        // No tunnel: no destination address and no VNI to reserve on the node.
        finish();
        return;
    case Destination::Kind::Node:
        m_plan.destinationNode = m_request.destination.value;
        if (!m_plan.destinationIp.isEmpty() || !m_client) {
            chooseVni(); // given by the caller (offline); validatePlan() names it when missing
            return;
        }
        lookUpNodeIp(m_plan.destinationNode, tr("destination node %1").arg(m_plan.destinationNode),
            &m_plan.destinationIp, [this] { chooseVni(); });
        return;
    }
}

void TapPlanner::chooseVni()
{
    const auto decide = [this](QSet<quint32> used) {
        if (m_request.vni) {
            if (used.contains(*m_request.vni)) {
                fail(tr("VNI %1 is already used by another podtap session on node %2.")
                         .arg(*m_request.vni)
                         .arg(m_plan.targetNode),
                    tr("Leave the VNI empty to have one chosen, or pick another."));
                return;
            }
            m_plan.vni = *m_request.vni;
        } else {
            do {
                m_plan.vni = 1 + QRandomGenerator::system()->bounded(TapRequest::kMaxVni);
            } while (used.contains(m_plan.vni));
        }
        m_plan.egressVni = 0;
        if (m_chooseEgressVni && m_request.destination.kind == Destination::Kind::ThisMachine &&
            m_request.direction != Direction::Ingress) {
            used.insert(m_plan.vni);
            do {
                m_plan.egressVni = 1 + QRandomGenerator::system()->bounded(TapRequest::kMaxVni);
            } while (used.contains(m_plan.egressVni));
        }
        finish();
    };
    if (!m_client) {
        decide({});
        return;
    }
    // VNIs in use by other podtap sessions on the target node must not be reused: the kernel
    // would refuse a second VXLAN device with the same VNI and port there.
    QUrlQuery query;
    query.addQueryItem(
        QStringLiteral("labelSelector"), QStringLiteral("%1=podtap").arg(QLatin1String(kLabelManagedBy)));
    query.addQueryItem(QStringLiteral("fieldSelector"), QStringLiteral("spec.nodeName=%1").arg(m_plan.targetNode));
    request(m_client->get(KubeClient::corePath(kPods, m_plan.agentNamespace), query), [decide](KubeReply *reply) {
        QSet<quint32> used;
        if (reply->ok()) {
            used = podtapVnisInUse(reply->json().value(QLatin1String("items")).toArray());
        } // A missing agent namespace is handled later (preflight, or the manifest's warning).
        decide(used);
    });
}

void TapPlanner::finish()
{
    m_done = true;
    Q_EMIT planned();
}

void TapPlanner::fail(const QString &summary, const QString &fix)
{
    m_done = true;
    Q_EMIT failed(summary, fix);
}

void TapPlanner::failWithApiError(const QString &operation, const ApiError &error)
{
    const PreflightFix fix =
        explainRefusal(ApiRefusal {error.httpStatus, error.reason, error.message, error.detailsKind, error.detailsName},
            m_plan.agentNamespace.isEmpty() ? m_request.agentNamespace : m_plan.agentNamespace);
    fail(tr("Could not %1: %2").arg(operation, error.toString()), fix.fix);
}

} // namespace podtap
