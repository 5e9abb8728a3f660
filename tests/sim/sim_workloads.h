// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "sim_objects.h"

#include <QByteArrayList>

namespace podtap::sim {

class JsonWriter;
class SimStore;

/// One `spec.selector.matchExpressions` item: operator In, NotIn, Exists or DoesNotExist.
struct SelectorExpression
{
    QByteArray key;
    QByteArray op;
    QByteArrayList values;
};

/// @brief A Deployment, ReplicaSet, StatefulSet, DaemonSet or Job: its selector, pod template and
/// counts. kube-sim serves them read-only (list, get, watch); nothing reconciles them, so their
/// pods are seeded alongside.
struct SimWorkload final : SimObject
{
    explicit SimWorkload(Kind k)
        : SimObject(k)
    {
    }
    std::vector<OwnerReference> owners;
    StringPairs matchLabels;
    std::vector<SelectorExpression> matchExpressions;
    StringPairs templateLabels;
    QByteArray containerName;
    QByteArray image;
    int replicas = 0; // desired (DaemonSet: nodes it should run on; Job: completions)
    int current = 0; // pods that exist
    int ready = 0; // pods Running and ready
    int succeeded = 0; // Job: pods that completed
};

inline bool isWorkload(Kind kind)
{
    return kind != Kind::Namespace && kind != Kind::Node && kind != Kind::Pod;
}
inline const SimWorkload &asWorkload(const SimObject &object)
{
    return static_cast<const SimWorkload &>(object);
}

/// The selector as `kubectl get -o wide` prints it (metav1.FormatLabelSelector).
QByteArray formatSelector(const SimWorkload &workload);

/// @brief JSON and Table output for workloads, and their discovery documents.
namespace workloads {

void writeOwners(JsonWriter &json, const std::vector<OwnerReference> &owners);
void writeSpecAndStatus(JsonWriter &json, const SimWorkload &workload);
void writeTableColumns(JsonWriter &json, Kind kind);
void writeTableCells(JsonWriter &json, const SimWorkload &workload, const QByteArray &age);

/// "apps" for deployments, replicasets, statefulsets, daemonsets; "batch" for jobs; "" otherwise.
QByteArray apiGroupOfResource(const QByteArray &resource);
/// The workload kind a resource name of @p group stands for.
bool kindOfResource(const QByteArray &group, const QByteArray &resource, Kind *kind);

/// `/apis/apps`, `/apis/apps/v1`, `/apis/batch`, `/apis/batch/v1`; empty for any other path.
QByteArray discovery(const QByteArray &path);
/// The entries `/apis` lists for apps and batch (a JSON fragment to put in its `groups` array).
QByteArray groupListEntries();

/// Adds the workloads behind the seeded pods: a ReplicaSet per pod-template hash and a Deployment
/// over them, a Job per Job-owned pod. Reads pods from @p store; changes no pod.
void seedOwners(SimStore &store, quint64 seed);
/// With --workloads: in @p ns, a Deployment `shop` whose selector uses matchExpressions (pods of
/// three tiers, one of them outside it, one pod Pending), a StatefulSet `db` (three pods), a
/// DaemonSet `node-agent` (one pod per node), a running Job `migrate` and a finished Job
/// `backfill`. Returns the pods added.
int seedExamples(SimStore &store, const QByteArray &ns, quint64 seed);

} // namespace workloads

} // namespace podtap::sim
