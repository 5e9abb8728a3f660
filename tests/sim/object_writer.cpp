// SPDX-License-Identifier: Apache-2.0
#include "object_writer.h"

#include "sim_workloads.h"

#include <cstdio>

namespace podtap::sim {

namespace {

void writePairs(JsonWriter &json, const char *name, const StringPairs &pairs)
{
    if (pairs.empty()) {
        return;
    }
    json.key(name).beginObject();
    for (const auto &[k, v] : pairs) {
        json.key(k).string(v);
    }
    json.endObject();
}

void writeCondition(JsonWriter &json, const char *type, bool status, qint64 ms, const QByteArray &reason = {},
    const QByteArray &message = {})
{
    json.beginObject().field("type", type).field("status", status ? "True" : "False");
    json.key("lastProbeTime").null();
    json.field("lastTransitionTime", ObjectWriter::timestamp(ms));
    if (!reason.isEmpty()) {
        json.field("reason", reason);
    }
    if (!message.isEmpty()) {
        json.field("message", message);
    }
    json.endObject();
}

struct Column
{
    const char *name;
    const char *type;
    const char *format;
    const char *description;
    int priority;
};

} // namespace

QByteArray ObjectWriter::timestamp(qint64 msSinceEpoch)
{
    // Civil date from days (Howard Hinnant's algorithm): much faster than QDateTime for 100k rows.
    qint64 seconds = msSinceEpoch / 1000;
    qint64 days = seconds / 86400;
    qint64 rest = seconds % 86400;
    if (rest < 0) {
        rest += 86400;
        --days;
    }
    days += 719468;
    const qint64 era = (days >= 0 ? days : days - 146096) / 146097;
    const qint64 doe = days - era * 146097;
    const qint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    qint64 year = yoe + era * 400;
    const qint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const qint64 mp = (5 * doy + 2) / 153;
    const qint64 day = doy - (153 * mp + 2) / 5 + 1;
    const qint64 month = mp < 10 ? mp + 3 : mp - 9;
    year += month <= 2 ? 1 : 0;
    char buffer[32];
    const int n = std::snprintf(buffer, sizeof buffer, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", (long long)year,
        (long long)month, (long long)day, (long long)(rest / 3600), (long long)(rest / 60 % 60),
        (long long)(rest % 60));
    return QByteArray(buffer, n);
}

QByteArray ObjectWriter::humanAge(qint64 ms)
{
    const qint64 s = ms / 1000;
    if (s < -1) {
        return "<invalid>";
    }
    if (s < 0) {
        return "0s";
    }
    if (s < 120) {
        return QByteArray::number(s) + 's';
    }
    const qint64 minutes = s / 60;
    if (minutes < 10) {
        const qint64 sec = s % 60;
        return sec == 0 ? QByteArray::number(minutes) + 'm'
                        : QByteArray::number(minutes) + 'm' + QByteArray::number(sec) + 's';
    }
    if (minutes < 180) {
        return QByteArray::number(minutes) + 'm';
    }
    const qint64 hours = s / 3600;
    if (hours < 8) {
        const qint64 m = minutes % 60;
        return m == 0 ? QByteArray::number(hours) + 'h' : QByteArray::number(hours) + 'h' + QByteArray::number(m) + 'm';
    }
    if (hours < 48) {
        return QByteArray::number(hours) + 'h';
    }
    if (hours < 192) {
        const qint64 h = hours % 24;
        return h == 0 ? QByteArray::number(hours / 24) + 'd'
                      : QByteArray::number(hours / 24) + 'd' + QByteArray::number(h) + 'h';
    }
    const qint64 daysTotal = hours / 24;
    if (daysTotal < 365 * 2) {
        return QByteArray::number(daysTotal) + 'd';
    }
    const qint64 years = daysTotal / 365;
    if (years < 8) {
        const qint64 d = daysTotal % 365;
        return d == 0 ? QByteArray::number(years) + 'y' : QByteArray::number(years) + 'y' + QByteArray::number(d) + 'd';
    }
    return QByteArray::number(years) + 'y';
}

void ObjectWriter::writeMetadata(JsonWriter &json, const SimObject &object)
{
    json.key("metadata").beginObject();
    json.field("name", object.name);
    if (!object.generateName.isEmpty()) {
        json.field("generateName", object.generateName);
    }
    if (!object.ns.isEmpty()) {
        json.field("namespace", object.ns);
    }
    json.field("uid", object.uid);
    json.field("resourceVersion", QByteArray::number(object.resourceVersion));
    json.field("creationTimestamp", timestamp(object.creationMs));
    if (object.deletionMs != 0) {
        json.field("deletionTimestamp", timestamp(object.deletionMs));
        if (object.deletionGraceSeconds >= 0) {
            json.field("deletionGracePeriodSeconds", object.deletionGraceSeconds);
        }
    }
    writePairs(json, "labels", object.labels);
    writePairs(json, "annotations", object.annotations);
    if (object.kind == Kind::Pod) {
        workloads::writeOwners(json, asPod(object).owners);
    } else if (isWorkload(object.kind)) {
        workloads::writeOwners(json, asWorkload(object).owners);
    }
    if (object.kind == Kind::Namespace) {
        json.key("finalizers").beginArray().endArray();
    }
    json.endObject();
}

void ObjectWriter::writePartialMetadata(JsonWriter &json, const SimObject &object)
{
    json.beginObject().field("kind", "PartialObjectMetadata").field("apiVersion", "meta.k8s.io/v1");
    writeMetadata(json, object);
    json.endObject();
}

void ObjectWriter::writeObject(JsonWriter &json, const SimObject &object, bool typeMeta)
{
    json.beginObject();
    if (typeMeta) {
        json.field("kind", kindName(object.kind)).field("apiVersion", apiVersionOf(object.kind));
    }
    writeMetadata(json, object);
    switch (object.kind) {
    case Kind::Namespace:
        json.key("spec").beginObject().key("finalizers").beginArray().string("kubernetes").endArray().endObject();
        json.key("status").beginObject().field("phase", object.deletionMs ? "Terminating" : "Active").endObject();
        break;
    case Kind::Node:
        writeNode(json, asNode(object));
        break;
    case Kind::Pod:
        writePodSpec(json, asPod(object));
        writePodStatus(json, asPod(object));
        break;
    case Kind::Deployment:
    case Kind::ReplicaSet:
    case Kind::StatefulSet:
    case Kind::DaemonSet:
    case Kind::Job:
        workloads::writeSpecAndStatus(json, asWorkload(object));
        break;
    }
    json.endObject();
}

void ObjectWriter::writeNode(JsonWriter &json, const SimNode &node)
{
    json.key("spec").beginObject().field("podCIDR", node.podCIDR);
    json.key("podCIDRs").beginArray().string(node.podCIDR).endArray();
    if (node.unschedulable) {
        json.field("unschedulable", true);
    }
    json.endObject();
    json.key("status").beginObject();
    for (const char *which : {"capacity", "allocatable"}) {
        json.key(which)
            .beginObject()
            .field("cpu", "8")
            .field("ephemeral-storage", "101430960Ki")
            .field("memory", "32863300Ki")
            .field("pods", "110")
            .endObject();
    }
    json.key("conditions").beginArray();
    writeCondition(json, "MemoryPressure", false, node.creationMs, "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available");
    writeCondition(
        json, "DiskPressure", false, node.creationMs, "KubeletHasNoDiskPressure", "kubelet has no disk pressure");
    writeCondition(
        json, "PIDPressure", false, node.creationMs, "KubeletHasSufficientPID", "kubelet has sufficient PID available");
    writeCondition(json, "Ready", node.ready, node.creationMs, node.ready ? "KubeletReady" : "KubeletNotReady",
        node.ready ? "kubelet is posting ready status" : "container runtime network not ready");
    json.endArray();
    json.key("addresses")
        .beginArray()
        .beginObject()
        .field("type", "InternalIP")
        .field("address", node.internalIP)
        .endObject()
        .beginObject()
        .field("type", "Hostname")
        .field("address", node.name)
        .endObject()
        .endArray();
    json.key("daemonEndpoints")
        .beginObject()
        .key("kubeletEndpoint")
        .beginObject()
        .field("Port", 10250)
        .endObject()
        .endObject();
    json.key("nodeInfo")
        .beginObject()
        .field("machineID", node.uid.left(8) + node.uid.right(12) + "000000000000")
        .field("systemUUID", node.uid)
        .field("bootID", node.uid)
        .field("kernelVersion", "6.1.0-28-amd64")
        .field("osImage", "Debian GNU/Linux 12 (bookworm)")
        .field("containerRuntimeVersion", "containerd://1.7.24")
        .field("kubeletVersion", "v1.31.4")
        .field("kubeProxyVersion", "v1.31.4")
        .field("operatingSystem", "linux")
        .field("architecture", "amd64")
        .endObject();
    json.endObject();
}

void ObjectWriter::writePodSpec(JsonWriter &json, const SimPod &pod)
{
    json.key("spec");
    if (!pod.spec.isEmpty()) {
        json.value(pod.spec);
        return;
    }
    json.beginObject();
    json.key("containers").beginArray();
    for (const ContainerInfo &c : pod.containers) {
        json.beginObject().field("name", c.name).field("image", c.image);
        json.key("ports")
            .beginArray()
            .beginObject()
            .field("containerPort", 8080)
            .field("protocol", "TCP")
            .endObject()
            .endArray();
        json.key("resources")
            .beginObject()
            .key("requests")
            .beginObject()
            .field("cpu", "100m")
            .field("memory", "64Mi")
            .endObject()
            .endObject();
        json.field("terminationMessagePath", "/dev/termination-log")
            .field("terminationMessagePolicy", "File")
            .field("imagePullPolicy", "IfNotPresent")
            .endObject();
    }
    json.endArray();
    json.field("restartPolicy", pod.restartPolicy)
        .field("terminationGracePeriodSeconds", pod.terminationGraceSeconds)
        .field("dnsPolicy", "ClusterFirst")
        .field("serviceAccountName", pod.serviceAccount)
        .field("serviceAccount", pod.serviceAccount);
    if (!pod.nodeName.isEmpty()) {
        json.field("nodeName", pod.nodeName);
    }
    json.key("securityContext").beginObject().endObject();
    json.field("schedulerName", "default-scheduler");
    json.key("tolerations")
        .beginArray()
        .beginObject()
        .field("key", "node.kubernetes.io/not-ready")
        .field("operator", "Exists")
        .field("effect", "NoExecute")
        .field("tolerationSeconds", 300)
        .endObject()
        .beginObject()
        .field("key", "node.kubernetes.io/unreachable")
        .field("operator", "Exists")
        .field("effect", "NoExecute")
        .field("tolerationSeconds", 300)
        .endObject()
        .endArray();
    json.field("priority", 0).field("enableServiceLinks", true).field("preemptionPolicy", "PreemptLowerPriority");
    json.endObject();
}

void ObjectWriter::writePodStatus(JsonWriter &json, const SimPod &pod)
{
    json.key("status").beginObject().field("phase", pod.phase);
    const qint64 since = pod.startMs ? pod.startMs : pod.creationMs;
    json.key("conditions").beginArray();
    if (!pod.scheduled) {
        writeCondition(json, "PodScheduled", false, pod.creationMs, pod.scheduleReason, pod.scheduleMessage);
    } else {
        const bool started = pod.startMs != 0;
        const bool ready = pod.allReady();
        const bool done = pod.phase == "Succeeded" || pod.phase == "Failed";
        writeCondition(json, "PodReadyToStartContainers", started, since);
        writeCondition(json, "Initialized", true, since, done ? QByteArray("PodCompleted") : QByteArray());
        writeCondition(json, "Ready", ready, since,
            ready ? QByteArray() : (done ? QByteArray("PodCompleted") : QByteArray("ContainersNotReady")));
        writeCondition(json, "ContainersReady", ready, since,
            ready ? QByteArray() : (done ? QByteArray("PodCompleted") : QByteArray("ContainersNotReady")));
        writeCondition(json, "PodScheduled", true, pod.creationMs);
    }
    json.endArray();
    if (!pod.reason.isEmpty()) {
        json.field("reason", pod.reason);
    }
    if (!pod.message.isEmpty()) {
        json.field("message", pod.message);
    }
    if (!pod.hostIP.isEmpty()) {
        json.field("hostIP", pod.hostIP);
        json.key("hostIPs").beginArray().beginObject().field("ip", pod.hostIP).endObject().endArray();
    }
    if (!pod.podIP.isEmpty()) {
        json.field("podIP", pod.podIP);
        json.key("podIPs").beginArray().beginObject().field("ip", pod.podIP).endObject().endArray();
    }
    if (pod.startMs) {
        json.field("startTime", timestamp(pod.startMs));
    }
    if (pod.scheduled && !pod.nodeName.isEmpty()) {
        json.key("containerStatuses").beginArray();
        for (const ContainerInfo &c : pod.containers) {
            json.beginObject().field("name", c.name);
            json.key("state").beginObject();
            switch (c.state) {
            case ContainerInfo::State::Waiting:
                json.key("waiting").beginObject();
                if (!c.reason.isEmpty()) {
                    json.field("reason", c.reason);
                }
                if (!c.message.isEmpty()) {
                    json.field("message", c.message);
                }
                json.endObject();
                break;
            case ContainerInfo::State::Running:
                json.key("running").beginObject().field("startedAt", timestamp(c.startedMs)).endObject();
                break;
            case ContainerInfo::State::Terminated:
                json.key("terminated")
                    .beginObject()
                    .field("exitCode", c.exitCode)
                    .field("reason", c.reason)
                    .field("startedAt", timestamp(c.startedMs))
                    .field("finishedAt", timestamp(c.finishedMs))
                    .field("containerID", c.containerID)
                    .endObject();
                break;
            }
            json.endObject();
            json.key("lastState").beginObject();
            if (c.hasLastTermination) {
                json.key("terminated")
                    .beginObject()
                    .field("exitCode", c.lastExitCode)
                    .field("reason", "Error")
                    .field("startedAt", timestamp(c.lastFinishedMs - 5000))
                    .field("finishedAt", timestamp(c.lastFinishedMs))
                    .field("containerID", c.containerID)
                    .endObject();
            }
            json.endObject();
            json.field("ready", c.ready).field("restartCount", c.restartCount).field("image", c.image);
            json.field(
                "imageID", c.containerID.isEmpty() ? QByteArray() : c.image + "@sha256:" + c.containerID.right(64));
            if (!c.containerID.isEmpty()) {
                json.field("containerID", c.containerID);
            }
            json.field("started", c.state == ContainerInfo::State::Running);
            json.endObject();
        }
        json.endArray();
    }
    json.field("qosClass", pod.spec.isEmpty() ? "Burstable" : "BestEffort");
    json.endObject();
}

void ObjectWriter::writeTableColumns(JsonWriter &json, Kind kind)
{
    if (isWorkload(kind)) {
        workloads::writeTableColumns(json, kind);
        return;
    }
    static const Column podColumns[] = {
        {"Name", "string", "name", "Name must be unique within a namespace.", 0},
        {"Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0},
        {"Status", "string", "", "The aggregate status of the containers in this pod.", 0},
        {"Restarts", "string", "",
            "The number of times the containers in this pod have been restarted and when the last container in this "
            "pod has restarted.",
            0},
        {"Age", "string", "",
            "CreationTimestamp is a timestamp representing the server time when this object was created.", 0},
        {"IP", "string", "", "podIP is an IP address allocated to the pod.", 1},
        {"Node", "string", "", "NodeName is a request to schedule this pod onto a specific node.", 1},
        {"Nominated Node", "string", "", "nominatedNodeName is set only when this pod preempts other pods on the node.",
            1},
        {"Readiness Gates", "string", "", "If specified, all readiness gates will be evaluated for pod readiness.", 1},
    };
    static const Column nodeColumns[] = {
        {"Name", "string", "name", "Name must be unique within a namespace.", 0},
        {"Status", "string", "", "The status of the node", 0},
        {"Roles", "string", "", "The roles of the node", 0},
        {"Age", "string", "",
            "CreationTimestamp is a timestamp representing the server time when this object was created.", 0},
        {"Version", "string", "", "Kubelet Version reported by the node.", 0},
        {"Internal-IP", "string", "", "List of addresses reachable to the node.", 1},
        {"External-IP", "string", "", "List of addresses reachable to the node.", 1},
        {"OS-Image", "string", "",
            "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1},
        {"Kernel-Version", "string", "",
            "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1},
        {"Container-Runtime", "string", "",
            "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1},
    };
    static const Column namespaceColumns[] = {
        {"Name", "string", "name", "Name must be unique within a namespace.", 0},
        {"Status", "string", "", "The status of the namespace", 0},
        {"Age", "string", "",
            "CreationTimestamp is a timestamp representing the server time when this object was created.", 0},
    };
    const Column *begin = podColumns;
    std::size_t count = std::size(podColumns);
    if (kind == Kind::Node) {
        begin = nodeColumns;
        count = std::size(nodeColumns);
    } else if (kind == Kind::Namespace) {
        begin = namespaceColumns;
        count = std::size(namespaceColumns);
    }
    json.key("columnDefinitions").beginArray();
    for (std::size_t i = 0; i < count; ++i) {
        const Column &c = begin[i];
        json.beginObject()
            .field("name", c.name)
            .field("type", c.type)
            .field("format", c.format)
            .field("description", c.description)
            .field("priority", c.priority)
            .endObject();
    }
    json.endArray();
}

void ObjectWriter::writeTableRow(JsonWriter &json, const SimObject &object, TableObject include, qint64 nowMs)
{
    json.beginObject().key("cells").beginArray();
    const QByteArray age = humanAge(nowMs - object.creationMs);
    switch (object.kind) {
    case Kind::Pod: {
        const SimPod &pod = asPod(object);
        json.string(pod.name);
        json.string(QByteArray::number(pod.readyCount()) + '/' + QByteArray::number(qsizetype(pod.containers.size())));
        json.string(pod.displayStatus());
        json.string(QByteArray::number(pod.restarts()));
        json.string(age);
        json.string(pod.podIP.isEmpty() ? QByteArray("<none>") : pod.podIP);
        json.string(pod.nodeName.isEmpty() ? QByteArray("<none>") : pod.nodeName);
        json.string("<none>");
        json.string("<none>");
        break;
    }
    case Kind::Node: {
        const SimNode &node = asNode(object);
        QByteArray status = node.ready ? "Ready" : "NotReady";
        if (node.unschedulable) {
            status += ",SchedulingDisabled";
        }
        QByteArray roles;
        for (const auto &[k, v] : node.labels) {
            if (k.startsWith("node-role.kubernetes.io/")) {
                roles += (roles.isEmpty() ? "" : ",") + k.mid(24);
            }
        }
        json.string(node.name).string(status).string(roles.isEmpty() ? QByteArray("<none>") : roles).string(age);
        json.string("v1.31.4").string(node.internalIP).string("<none>").string("Debian GNU/Linux 12 (bookworm)");
        json.string("6.1.0-28-amd64").string("containerd://1.7.24");
        break;
    }
    case Kind::Namespace:
        json.string(object.name).string(object.deletionMs ? "Terminating" : "Active").string(age);
        break;
    case Kind::Deployment:
    case Kind::ReplicaSet:
    case Kind::StatefulSet:
    case Kind::DaemonSet:
    case Kind::Job:
        workloads::writeTableCells(json, asWorkload(object), age);
        break;
    }
    json.endArray();
    if (include == TableObject::Metadata) {
        json.key("object");
        writePartialMetadata(json, object);
    } else if (include == TableObject::Object) {
        json.key("object");
        writeObject(json, object, true);
    }
    json.endObject();
}

} // namespace podtap::sim
