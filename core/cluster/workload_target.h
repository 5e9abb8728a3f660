// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "label_selector.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>

#include <optional>

namespace podtap::kube {
class KubeClient;
class KubeReply;
struct ApiError;
} // namespace podtap::kube

namespace podtap::cluster {

/// @brief What a tap is pointed at: one pod, the pods a label selector picks in a namespace, or
/// the pods of a workload (Deployment, ReplicaSet, StatefulSet, DaemonSet, Job) through its selector.
struct WorkloadTarget
{
    enum class Kind { Pod, Selector, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job };

    Kind kind = Kind::Pod;
    QString namespaceName;
    QString name; ///< the pod or the workload; empty for Selector
    LabelSelector selector; ///< for Selector

    /// Parses a positional target as podtapctl takes it: `POD`, `NS/POD`, `KIND/NAME` (deploy,
    /// deployment, deployments, deployment.apps, rs, replicaset, sts, statefulset, ds, daemonset,
    /// job, jobs, job.batch, po, pod; a plural works wherever kubectl takes one), or a label selector
    /// (any text holding '=', '!', '(' or ','). @p namespaceName is the namespace from -n (or the
    /// context's); `NS/POD` overrides it. On failure returns nullopt and sets @p error.
    static std::optional<WorkloadTarget> parse(const QString &spec, const QString &namespaceName, QString *error);
    /// The target of `-l SELECTOR` in @p namespaceName. An empty selector is refused: it would tap every pod.
    static std::optional<WorkloadTarget> fromSelector(
        const QString &selector, const QString &namespaceName, QString *error);

    bool isWorkload() const { return kind != Kind::Pod && kind != Kind::Selector; }
    /// For people: `deployment "cart" in namespace "shop"`, `pods matching "app=cart" in namespace "shop"`.
    QString describe() const;
    /// `deployment/cart`, `pod/cart-1`, or the selector text.
    QString shortName() const;
    /// The resource (deployments) and API group (apps) a workload is read from.
    QString resource() const;
    QString apiGroup() const;
    /// The API path of the workload or pod (empty for Selector).
    QString apiPath() const;
};

/// @brief One pod a target resolved to.
struct ResolvedPod
{
    QString namespaceName;
    QString name;
    QString uid;
    QString node;
    QString podIp;
    QString phase;
    QString status; ///< what `kubectl get pods` shows: Running, Pending, ContainerCreating, CrashLoopBackOff, ...
    bool ready = false;

    QString key() const { return namespaceName + QLatin1Char('/') + name; }
};

/// @brief The pods a target stands for: those to tap (Running, with an IP, not being deleted) and
/// the rest, reported apart with their status. `error` is set (and the lists may be partial) when
/// the target cannot be tapped: not found, forbidden, nothing running, above the pod limit.
struct WorkloadResolution
{
    QString target; ///< WorkloadTarget::describe()
    QString selector; ///< the label selector the pods were listed with (empty for one pod)
    QList<ResolvedPod> running;
    QList<ResolvedPod> notRunning;
    QString error;

    bool ok() const { return error.isEmpty(); }
};

/// The fix for a 403: the RBAC rule missing, as a `kubectl create role` line.
QString rbacFix(const QString &verb, const QString &resource, const QString &group, const QString &namespaceName);

/// @brief Resolves a WorkloadTarget through the API server into its pods: GETs the workload, turns
/// its `spec.selector` into a labelSelector query, lists the pods, and keeps the Running ones.
///
/// Emits finished() exactly once per resolve(). Errors name the object, the reason and the fix:
/// a missing workload, a refused request with the RBAC rule that is missing, a selector that
/// matches nothing, no pod Running, more running pods than the limit.
class WorkloadResolver final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WorkloadResolver)

public:
    static constexpr int defaultMaxPods = 64;

    explicit WorkloadResolver(kube::KubeClient *client, QObject *parent = nullptr);

    /// The most running pods a target may resolve to (default 64); more is an error naming the fix.
    void setMaxPods(int maxPods) { m_maxPods = maxPods; }
    int maxPods() const { return m_maxPods; }

    void resolve(const WorkloadTarget &target);

Q_SIGNALS:
    void finished(const podtap::cluster::WorkloadResolution &result);

private:
    void listPods(const QString &selector);
    void finish(QString error = {});
    QString apiFailure(const kube::ApiError &error, const QString &verb, const QString &resource, const QString &group,
        const QString &object) const;

    QPointer<kube::KubeClient> m_client;
    int m_maxPods = defaultMaxPods;
    WorkloadTarget m_target;
    WorkloadResolution m_result;
    quint64 m_generation = 0; ///< a newer resolve() makes older replies stale
};

/// One line per pod for a preview: `NAMESPACE/NAME  NODE  IP  STATUS`.
QString describeResolution(const WorkloadResolution &resolution);

} // namespace podtap::cluster

Q_DECLARE_METATYPE(podtap::cluster::WorkloadResolution)
