// SPDX-License-Identifier: Apache-2.0
#include "sim_objects.h"

#include "sim_workloads.h"

namespace podtap::sim {

QByteArray SimObject::label(const QByteArray &k, bool *found) const
{
    for (const auto &[labelKey, labelValue] : labels) {
        if (labelKey == k) {
            if (found) {
                *found = true;
            }
            return labelValue;
        }
    }
    if (found) {
        *found = false;
    }
    return {};
}

bool SimPod::allReady() const
{
    return !containers.empty() && readyCount() == int(containers.size());
}

int SimPod::readyCount() const
{
    int count = 0;
    for (const ContainerInfo &c : containers) {
        count += c.ready ? 1 : 0;
    }
    return count;
}

int SimPod::restarts() const
{
    int count = 0;
    for (const ContainerInfo &c : containers) {
        count += c.restartCount;
    }
    return count;
}

QByteArray SimPod::displayStatus() const
{
    if (deletionMs != 0) {
        return "Terminating";
    }
    QByteArray status = reason.isEmpty() ? phase : reason;
    for (const ContainerInfo &c : containers) {
        if (c.state == ContainerInfo::State::Waiting && !c.reason.isEmpty()) {
            status = c.reason;
        } else if (c.state == ContainerInfo::State::Terminated && !c.reason.isEmpty()) {
            status = c.reason;
        }
    }
    return status;
}

std::shared_ptr<SimObject> cloneObject(const SimObject &object)
{
    switch (object.kind) {
    case Kind::Namespace:
        return std::make_shared<SimNamespace>(static_cast<const SimNamespace &>(object));
    case Kind::Node:
        return std::make_shared<SimNode>(static_cast<const SimNode &>(object));
    case Kind::Pod:
        return std::make_shared<SimPod>(static_cast<const SimPod &>(object));
    case Kind::Deployment:
    case Kind::ReplicaSet:
    case Kind::StatefulSet:
    case Kind::DaemonSet:
    case Kind::Job:
        return std::make_shared<SimWorkload>(static_cast<const SimWorkload &>(object));
    }
    return {};
}

const char *kindName(Kind kind)
{
    switch (kind) {
    case Kind::Namespace:
        return "Namespace";
    case Kind::Node:
        return "Node";
    case Kind::Pod:
        return "Pod";
    case Kind::Deployment:
        return "Deployment";
    case Kind::ReplicaSet:
        return "ReplicaSet";
    case Kind::StatefulSet:
        return "StatefulSet";
    case Kind::DaemonSet:
        return "DaemonSet";
    case Kind::Job:
        return "Job";
    }
    return "";
}

const char *resourceName(Kind kind)
{
    switch (kind) {
    case Kind::Namespace:
        return "namespaces";
    case Kind::Node:
        return "nodes";
    case Kind::Pod:
        return "pods";
    case Kind::Deployment:
        return "deployments";
    case Kind::ReplicaSet:
        return "replicasets";
    case Kind::StatefulSet:
        return "statefulsets";
    case Kind::DaemonSet:
        return "daemonsets";
    case Kind::Job:
        return "jobs";
    }
    return "";
}

const char *apiGroupOf(Kind kind)
{
    switch (kind) {
    case Kind::Namespace:
    case Kind::Node:
    case Kind::Pod:
        return "";
    case Kind::Deployment:
    case Kind::ReplicaSet:
    case Kind::StatefulSet:
    case Kind::DaemonSet:
        return "apps";
    case Kind::Job:
        return "batch";
    }
    return "";
}

const char *apiVersionOf(Kind kind)
{
    const QByteArray group = apiGroupOf(kind);
    return group.isEmpty() ? "v1" : group == "apps" ? "apps/v1" : "batch/v1";
}

bool isNamespaced(Kind kind)
{
    return kind != Kind::Namespace && kind != Kind::Node;
}

} // namespace podtap::sim
