// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "capture/pod_hosts_file.h"
#include "tap/agent_pod_spec.h"
#include "tap/tap_request.h"

#include <QJsonArray>
#include <QList>
#include <QObject>
#include <QSet>
#include <QString>

#include <functional>

namespace podtap::kube {
class KubeClient;
class KubeReply;
struct ApiError;
} // namespace podtap::kube

namespace podtap {

/// The VNIs podtap agent pods (a v1 PodList's items) hold: their podtap.io/vni and podtap.io/egress-vni, and the
/// VNIs in a workload tap's podtap.io/targets. A new tap on the same node must not reuse them.
QSet<quint32> podtapVnisInUse(const QJsonArray &agentPods);

/// @brief Turns a validated TapRequest into the TapPlan the pod builders read: the one place that
/// resolves the target pod and its node, the destination, the VNI and this machine's address.
///
/// The console's TapSession and `podtapctl manifest` both plan through it, so they pick VNIs and
/// report problems alike. Asynchronous over KubeClient: start(), then planned() or failed() with
/// what failed and its fix. Parts the plan given already holds are not looked up again (a manifest
/// made offline names the target itself); without a client nothing is looked up and VNIs in use
/// cannot be avoided.
class TapPlanner final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TapPlanner)

public:
    /// @p plan: TapPlan::fromRequest(@p request, …) with whatever the caller already knows.
    TapPlanner(kube::KubeClient *client, TapRequest request, TapPlan plan, QObject *parent = nullptr);
    ~TapPlanner() override;

    /// This machine's address toward the target node, instead of finding it (tunnel to this machine).
    void setLocalIp(const QString &ip) { m_localIp = ip; }
    /// Also list the running pods' addresses (best effort, alongside), for naming pods in a capture.
    void setCollectPodAddresses(bool collect) { m_collectPodAddresses = collect; }
    /// For a tunnel to this machine's userspace receiver with egress in the direction: also choose
    /// TapPlan::egressVni (distinct from the VNI and not in use on the node), so the receiver tells the
    /// direction from the VNI. Off for `podtapctl manifest`, whose sender keeps kokotap's one VNI.
    void setChooseEgressVni(bool choose) { m_chooseEgressVni = choose; }

    void start();

    const TapPlan &plan() const { return m_plan; }
    /// The target pod's IP (empty when the plan was given the target).
    QString targetPodIp() const { return m_targetPodIp; }
    /// The target first, then the other running pods found so far.
    QList<PodAddress> podAddresses() const;

Q_SIGNALS:
    void progress(const QString &text);
    /// plan() is complete and valid for the pod builders.
    void planned();
    /// @p summary: what failed and why; @p fix: what to do about it.
    void failed(const QString &summary, const QString &fix);

private:
    void resolveTarget();
    void lookUpPodAddresses();
    void resolveNode();
    void resolveDestination();
    /// GETs node @p node (@p what names it in errors) and stores its InternalIP in @p ip, then runs @p next.
    void lookUpNodeIp(const QString &node, const QString &what, QString *ip, const std::function<void()> &next);
    void chooseVni();
    void finish();
    void fail(const QString &summary, const QString &fix = {});
    void failWithApiError(const QString &operation, const kube::ApiError &error);
    template<typename Callback>
    void request(kube::KubeReply *reply, Callback callback);

    kube::KubeClient *m_client;
    TapRequest m_request;
    TapPlan m_plan;
    QString m_localIp;
    bool m_collectPodAddresses = false;
    bool m_chooseEgressVni = false;
    bool m_done = false;
    QString m_targetPodIp;
    QList<PodAddress> m_otherPods;
};

} // namespace podtap
