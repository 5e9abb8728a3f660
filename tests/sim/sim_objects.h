// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>
#include <QJsonObject>

#include <memory>
#include <utility>
#include <vector>

namespace podtap::sim {

/// The stored kinds: core/v1, then the workloads of apps/v1 and batch/v1 (see sim_workloads.h).
enum class Kind { Namespace, Node, Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job };
inline constexpr int kindCount = 8;

using StringPairs = std::vector<std::pair<QByteArray, QByteArray>>;

/// @brief Metadata every simulated object carries; the kind-specific part lives in the subclasses.
struct SimObject
{
    explicit SimObject(Kind k)
        : kind(k)
    {
    }
    virtual ~SimObject() = default;

    Kind kind;
    QByteArray ns; // empty for cluster-scoped kinds
    QByteArray name;
    QByteArray generateName;
    QByteArray uid;
    quint64 resourceVersion = 0;
    qint64 creationMs = 0;
    qint64 deletionMs = 0; // 0: not being deleted
    qint64 deletionGraceSeconds = -1;
    StringPairs labels;
    StringPairs annotations;

    QByteArray key() const { return ns.isEmpty() ? name : ns + '/' + name; }
    QByteArray label(const QByteArray &k, bool *found = nullptr) const;
};

using ObjectPtr = std::shared_ptr<const SimObject>;

struct SimNamespace final : SimObject
{
    SimNamespace()
        : SimObject(Kind::Namespace)
    {
    }
};

struct SimNode final : SimObject
{
    SimNode()
        : SimObject(Kind::Node)
    {
    }
    QByteArray internalIP;
    QByteArray podCIDR;
    bool ready = true;
    bool unschedulable = false;
};

struct OwnerReference
{
    QByteArray apiVersion;
    QByteArray kind;
    QByteArray name;
    QByteArray uid;
    bool controller = true;
};

/// @brief One container's spec summary and status.
struct ContainerInfo
{
    enum class State { Waiting, Running, Terminated };
    QByteArray name;
    QByteArray image;
    QByteArray containerID; // "containerd://<64 hex>" once created
    State state = State::Waiting;
    QByteArray reason; // waiting or terminated reason
    QByteArray message;
    bool ready = false;
    int restartCount = 0;
    int exitCode = 0;
    qint64 startedMs = 0;
    qint64 finishedMs = 0;
    bool hasLastTermination = false;
    int lastExitCode = 0;
    qint64 lastFinishedMs = 0;
};

struct SimPod final : SimObject
{
    SimPod()
        : SimObject(Kind::Pod)
    {
    }
    std::vector<OwnerReference> owners;
    /// The full spec of a pod created through the API; empty for seeded pods, whose spec is
    /// rendered from the fields below.
    QJsonObject spec;
    QByteArray nodeName;
    QByteArray serviceAccount = "default";
    QByteArray restartPolicy = "Always";
    int terminationGraceSeconds = 30;

    QByteArray phase = "Pending";
    QByteArray reason;
    QByteArray message;
    QByteArray podIP;
    QByteArray hostIP;
    qint64 startMs = 0;
    bool scheduled = true;
    QByteArray scheduleReason;
    QByteArray scheduleMessage;
    std::vector<ContainerInfo> containers;

    bool allReady() const;
    int readyCount() const;
    int restarts() const;
    /// What `kubectl get pods` shows in STATUS: the phase, or a container's waiting reason.
    QByteArray displayStatus() const;
};

inline const SimPod &asPod(const SimObject &object)
{
    return static_cast<const SimPod &>(object);
}
inline const SimNode &asNode(const SimObject &object)
{
    return static_cast<const SimNode &>(object);
}

/// Copies an object of any kind, so a change can be made on the copy (copy on write).
std::shared_ptr<SimObject> cloneObject(const SimObject &object);

const char *kindName(Kind kind); // "Pod"
const char *resourceName(Kind kind); // "pods"
const char *apiVersionOf(Kind kind); // "v1", "apps/v1", "batch/v1"
const char *apiGroupOf(Kind kind); // "", "apps", "batch"
/// Everything but namespaces and nodes lives in a namespace.
bool isNamespaced(Kind kind);

} // namespace podtap::sim
