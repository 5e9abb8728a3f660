// SPDX-License-Identifier: Apache-2.0
#include "sim_workloads.h"

#include "json_writer.h"
#include "object_writer.h"
#include "sim_random.h"
#include "sim_store.h"

#include <QHash>

#include <map>

namespace podtap::sim {

namespace {

using Random = SimRandom;

struct Column
{
    const char *name;
    const char *type;
    const char *description;
    int priority;
};

const char *const ageDescription =
    "CreationTimestamp is a timestamp representing the server time when this object was created.";
const char *const containersDescription = "Names of each container in the template.";
const char *const imagesDescription = "Images referenced by each container in the template.";

void writeSelector(JsonWriter &json, const SimWorkload &workload)
{
    json.key("selector").beginObject();
    if (!workload.matchLabels.empty()) {
        json.key("matchLabels").beginObject();
        for (const auto &[k, v] : workload.matchLabels) {
            json.key(k).string(v);
        }
        json.endObject();
    }
    if (!workload.matchExpressions.empty()) {
        json.key("matchExpressions").beginArray();
        for (const SelectorExpression &e : workload.matchExpressions) {
            json.beginObject().field("key", e.key).field("operator", e.op);
            if (!e.values.isEmpty()) {
                json.key("values").beginArray();
                for (const QByteArray &v : e.values) {
                    json.string(v);
                }
                json.endArray();
            }
            json.endObject();
        }
        json.endArray();
    }
    json.endObject();
}

void writeTemplate(JsonWriter &json, const SimWorkload &workload)
{
    json.key("template").beginObject();
    json.key("metadata").beginObject();
    json.key("labels").beginObject();
    for (const auto &[k, v] : workload.templateLabels) {
        json.key(k).string(v);
    }
    json.endObject().endObject();
    json.key("spec").beginObject();
    json.key("containers").beginArray();
    json.beginObject().field("name", workload.containerName).field("image", workload.image);
    json.field("imagePullPolicy", "IfNotPresent").endObject();
    json.endArray();
    json.field("restartPolicy", workload.kind == Kind::Job ? "OnFailure" : "Always");
    json.endObject().endObject();
}

std::shared_ptr<SimPod> makePod(const QByteArray &ns, const QByteArray &name, const QByteArray &generateName,
    const StringPairs &labels, const OwnerReference &owner, const SimWorkload &workload, Random &random,
    qint64 createdMs)
{
    auto pod = std::make_shared<SimPod>();
    pod->ns = ns;
    pod->name = name;
    pod->generateName = generateName;
    pod->uid = random.uid();
    pod->creationMs = createdMs;
    pod->labels = labels;
    pod->owners.push_back(owner);
    pod->restartPolicy = workload.kind == Kind::Job ? "OnFailure" : "Always";
    ContainerInfo main;
    main.name = workload.containerName;
    main.image = workload.image;
    pod->containers.push_back(main);
    return pod;
}

/// Places @p pod on @p node and makes it Running (or Pending, when @p running is false or there is no node).
void schedule(SimPod &pod, const SimNode *node, bool running, int *address, Random &random)
{
    if (!node) {
        pod.scheduled = false;
        pod.scheduleReason = "Unschedulable";
        pod.scheduleMessage = "0/0 nodes are available: no nodes available to schedule pods.";
        return;
    }
    pod.nodeName = node->name;
    pod.hostIP = node->internalIP;
    pod.startMs = pod.creationMs + 2000;
    if (!running) {
        for (ContainerInfo &c : pod.containers) {
            c.state = ContainerInfo::State::Waiting;
            c.reason = "ContainerCreating";
        }
        return;
    }
    pod.phase = "Running";
    pod.podIP = "192.0.2." + QByteArray::number(++*address % 254 + 1);
    for (ContainerInfo &c : pod.containers) {
        c.containerID = "containerd://" + random.hex(64);
        c.startedMs = pod.startMs + 1000;
        c.state = ContainerInfo::State::Running;
        c.ready = true;
    }
}

void count(SimWorkload &workload, const SimPod &pod)
{
    ++workload.current;
    if (pod.phase == "Running" && pod.allReady()) {
        ++workload.ready;
    }
    if (pod.phase == "Succeeded") {
        ++workload.succeeded;
    }
}

} // namespace

QByteArray formatSelector(const SimWorkload &workload)
{
    QByteArrayList parts;
    for (const auto &[k, v] : workload.matchLabels) {
        parts << k + '=' + v;
    }
    for (const SelectorExpression &e : workload.matchExpressions) {
        if (e.op == "In") {
            parts << e.key + " in (" + e.values.join(',') + ')';
        } else if (e.op == "NotIn") {
            parts << e.key + " notin (" + e.values.join(',') + ')';
        } else if (e.op == "Exists") {
            parts << e.key;
        } else {
            parts << '!' + e.key;
        }
    }
    return parts.isEmpty() ? QByteArray("<none>") : parts.join(',');
}

namespace workloads {

void writeOwners(JsonWriter &json, const std::vector<OwnerReference> &owners)
{
    if (owners.empty()) {
        return;
    }
    json.key("ownerReferences").beginArray();
    for (const OwnerReference &owner : owners) {
        json.beginObject()
            .field("apiVersion", owner.apiVersion)
            .field("kind", owner.kind)
            .field("name", owner.name)
            .field("uid", owner.uid)
            .field("controller", owner.controller)
            .field("blockOwnerDeletion", true)
            .endObject();
    }
    json.endArray();
}

void writeSpecAndStatus(JsonWriter &json, const SimWorkload &w)
{
    json.key("spec").beginObject();
    switch (w.kind) {
    case Kind::Deployment:
    case Kind::ReplicaSet:
    case Kind::StatefulSet:
        json.field("replicas", w.replicas);
        break;
    case Kind::Job:
        json.field("parallelism", 1).field("completions", w.replicas).field("backoffLimit", 6);
        break;
    default:
        break;
    }
    if (w.kind == Kind::StatefulSet) {
        json.field("serviceName", w.name).field("podManagementPolicy", "OrderedReady");
    }
    writeSelector(json, w);
    writeTemplate(json, w);
    json.endObject();

    json.key("status").beginObject();
    switch (w.kind) {
    case Kind::Deployment:
    case Kind::ReplicaSet:
    case Kind::StatefulSet:
        json.field("observedGeneration", 1).field("replicas", w.current);
        if (w.ready > 0) {
            json.field("readyReplicas", w.ready).field("availableReplicas", w.ready);
        }
        if (w.kind != Kind::ReplicaSet) {
            json.field("updatedReplicas", w.current);
        }
        if (w.kind == Kind::StatefulSet) {
            json.field("currentReplicas", w.current);
        }
        break;
    case Kind::DaemonSet:
        json.field("currentNumberScheduled", w.current).field("desiredNumberScheduled", w.replicas);
        json.field("numberMisscheduled", 0).field("numberReady", w.ready).field("observedGeneration", 1);
        json.field("updatedNumberScheduled", w.current).field("numberAvailable", w.ready);
        break;
    case Kind::Job:
        json.field("startTime", ObjectWriter::timestamp(w.creationMs + 1000));
        if (w.current - w.succeeded > 0) {
            json.field("active", w.current - w.succeeded);
        }
        if (w.ready > 0) {
            json.field("ready", w.ready);
        }
        if (w.succeeded > 0) {
            json.field("succeeded", w.succeeded);
        }
        if (w.succeeded >= w.replicas) {
            json.field("completionTime", ObjectWriter::timestamp(w.creationMs + 61000));
        }
        break;
    default:
        break;
    }
    json.endObject();
}

void writeTableColumns(JsonWriter &json, Kind kind)
{
    // The columns of the real server's table printers (pkg/printers/internalversion).
    static const Column deployment[] = {
        {"Name", "string", "Name must be unique within a namespace.", 0},
        {"Ready", "string", "Number of the pod with ready state", 0},
        {"Up-to-date", "string",
            "Total number of non-terminated pods targeted by this deployment that have the desired "
            "template spec.",
            0},
        {"Available", "string",
            "Total number of available pods (ready for at least minReadySeconds) targeted by this "
            "deployment.",
            0},
        {"Age", "string", ageDescription, 0},
        {"Containers", "string", containersDescription, 1},
        {"Images", "string", imagesDescription, 1},
        {"Selector", "string",
            "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be "
            "the ones affected by this deployment.",
            1},
    };
    static const Column replicaSet[] = {
        {"Name", "string", "Name must be unique within a namespace.", 0},
        {"Desired", "integer", "Replicas is the number of desired replicas.", 0},
        {"Current", "integer", "Replicas is the most recently observed number of replicas.", 0},
        {"Ready", "integer", "The number of ready replicas for this replica set.", 0},
        {"Age", "string", ageDescription, 0},
        {"Containers", "string", containersDescription, 1},
        {"Images", "string", imagesDescription, 1},
        {"Selector", "string", "Selector is a label query over pods that should match the replica count.", 1},
    };
    static const Column statefulSet[] = {
        {"Name", "string", "Name must be unique within a namespace.", 0},
        {"Ready", "string", "Number of the pod with ready state", 0},
        {"Age", "string", ageDescription, 0},
        {"Containers", "string", containersDescription, 1},
        {"Images", "string", imagesDescription, 1},
    };
    static const Column daemonSet[] = {
        {"Name", "string", "Name must be unique within a namespace.", 0},
        {"Desired", "integer", "The total number of nodes that should be running the daemon pod.", 0},
        {"Current", "integer", "The number of nodes that are running at least 1 daemon pod.", 0},
        {"Ready", "integer",
            "The number of nodes that should be running the daemon pod and have one or more of the "
            "daemon pod running and ready.",
            0},
        {"Up-to-date", "integer", "The total number of nodes that are running updated daemon pod", 0},
        {"Available", "integer",
            "The number of nodes that should be running the daemon pod and have one or more of "
            "the daemon pod running and available.",
            0},
        {"Node Selector", "string", "NodeSelector is a selector which must be true for the pod to fit on a node.", 0},
        {"Age", "string", ageDescription, 0},
        {"Containers", "string", containersDescription, 1},
        {"Images", "string", imagesDescription, 1},
        {"Selector", "string", "A label query over pods that are managed by the daemon set.", 1},
    };
    static const Column job[] = {
        {"Name", "string", "Name must be unique within a namespace.", 0},
        {"Status", "string", "Status of the job.", 0},
        {"Completions", "string", "The desired number of successfully finished pods the job should be run with.", 0},
        {"Duration", "string", "Time required to complete the job.", 0},
        {"Age", "string", ageDescription, 0},
        {"Containers", "string", containersDescription, 1},
        {"Images", "string", imagesDescription, 1},
        {"Selector", "string", "A label query over pods that should match the pod count.", 1},
    };
    const Column *begin = deployment;
    std::size_t n = std::size(deployment);
    switch (kind) {
    case Kind::ReplicaSet:
        begin = replicaSet;
        n = std::size(replicaSet);
        break;
    case Kind::StatefulSet:
        begin = statefulSet;
        n = std::size(statefulSet);
        break;
    case Kind::DaemonSet:
        begin = daemonSet;
        n = std::size(daemonSet);
        break;
    case Kind::Job:
        begin = job;
        n = std::size(job);
        break;
    default:
        break;
    }
    json.key("columnDefinitions").beginArray();
    for (std::size_t i = 0; i < n; ++i) {
        const Column &c = begin[i];
        json.beginObject()
            .field("name", c.name)
            .field("type", c.type)
            .field("format", i == 0 ? "name" : "")
            .field("description", c.description)
            .field("priority", c.priority)
            .endObject();
    }
    json.endArray();
}

void writeTableCells(JsonWriter &json, const SimWorkload &w, const QByteArray &age)
{
    const QByteArray selector = formatSelector(w);
    json.string(w.name);
    switch (w.kind) {
    case Kind::Deployment:
        json.string(QByteArray::number(w.ready) + '/' + QByteArray::number(w.replicas));
        json.number(qint64(w.current)).number(qint64(w.ready)).string(age);
        json.string(w.containerName).string(w.image).string(selector);
        break;
    case Kind::ReplicaSet:
        json.number(qint64(w.replicas)).number(qint64(w.current)).number(qint64(w.ready)).string(age);
        json.string(w.containerName).string(w.image).string(selector);
        break;
    case Kind::StatefulSet:
        json.string(QByteArray::number(w.ready) + '/' + QByteArray::number(w.replicas)).string(age);
        json.string(w.containerName).string(w.image);
        break;
    case Kind::DaemonSet:
        json.number(qint64(w.replicas)).number(qint64(w.current)).number(qint64(w.ready));
        json.number(qint64(w.current)).number(qint64(w.ready)).string("<none>").string(age);
        json.string(w.containerName).string(w.image).string(selector);
        break;
    case Kind::Job:
        json.string(w.succeeded >= w.replicas ? "Complete" : "Running");
        json.string(QByteArray::number(w.succeeded) + '/' + QByteArray::number(w.replicas));
        json.string(w.succeeded >= w.replicas ? QByteArray("60s") : age).string(age);
        json.string(w.containerName).string(w.image).string(selector);
        break;
    default:
        break;
    }
}

bool kindOfResource(const QByteArray &group, const QByteArray &resource, Kind *kind)
{
    for (Kind k : {Kind::Deployment, Kind::ReplicaSet, Kind::StatefulSet, Kind::DaemonSet, Kind::Job}) {
        if (resource == resourceName(k) && group == apiGroupOf(k)) {
            *kind = k;
            return true;
        }
    }
    return false;
}

QByteArray apiGroupOfResource(const QByteArray &resource)
{
    for (Kind k : {Kind::Deployment, Kind::ReplicaSet, Kind::StatefulSet, Kind::DaemonSet, Kind::Job}) {
        if (resource == resourceName(k)) {
            return apiGroupOf(k);
        }
    }
    return {};
}

QByteArray groupListEntries()
{
    return R"({"name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}},)"
           R"({"name":"batch","versions":[{"groupVersion":"batch/v1","version":"v1"}],"preferredVersion":{"groupVersion":"batch/v1","version":"v1"}})";
}

QByteArray discovery(const QByteArray &path)
{
    // Only the verbs kube-sim serves for them: nothing here creates or changes a workload.
    static const QByteArray verbs = R"("verbs":["get","list","watch"])";
    if (path == "/apis/apps") {
        return R"({"kind":"APIGroup","apiVersion":"v1","name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}})";
    }
    if (path == "/apis/batch") {
        return R"({"kind":"APIGroup","apiVersion":"v1","name":"batch","versions":[{"groupVersion":"batch/v1","version":"v1"}],"preferredVersion":{"groupVersion":"batch/v1","version":"v1"}})";
    }
    if (path == "/apis/apps/v1") {
        return R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"apps/v1","resources":[)"
               R"({"name":"daemonsets","singularName":"daemonset","namespaced":true,"kind":"DaemonSet",)" +
            verbs +
            R"(,"shortNames":["ds"],"categories":["all"]},)"
            R"({"name":"deployments","singularName":"deployment","namespaced":true,"kind":"Deployment",)" +
            verbs +
            R"(,"shortNames":["deploy"],"categories":["all"]},)"
            R"({"name":"replicasets","singularName":"replicaset","namespaced":true,"kind":"ReplicaSet",)" +
            verbs +
            R"(,"shortNames":["rs"],"categories":["all"]},)"
            R"({"name":"statefulsets","singularName":"statefulset","namespaced":true,"kind":"StatefulSet",)" +
            verbs + R"(,"shortNames":["sts"],"categories":["all"]}]})";
    }
    if (path == "/apis/batch/v1") {
        return R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"batch/v1","resources":[)"
               R"({"name":"jobs","singularName":"job","namespaced":true,"kind":"Job",)" +
            verbs + R"(,"categories":["all"]}]})";
    }
    return {};
}

void seedOwners(SimStore &store, quint64 seed)
{
    Random random(seed ^ 0x776f726b6c6f6164ULL);
    // Walk the pods once; build each owner from its pods (std::map: the same order every run).
    std::map<QByteArray, std::shared_ptr<SimWorkload>> replicaSets;
    std::map<QByteArray, std::shared_ptr<SimWorkload>> jobs;
    for (const auto &[key, object] : store.objects(Kind::Pod)) {
        const SimPod &pod = asPod(*object);
        if (pod.owners.empty() || pod.containers.empty()) {
            continue;
        }
        const OwnerReference &owner = pod.owners.front();
        const bool isJob = owner.kind == "Job";
        if (owner.kind != "ReplicaSet" && !isJob) {
            continue;
        }
        const Kind kind = isJob ? Kind::Job : Kind::ReplicaSet;
        if (store.find(kind, pod.ns, owner.name)) {
            continue; // seeded with its pods (--workloads)
        }
        auto &slot = (isJob ? jobs : replicaSets)[pod.ns + '/' + owner.name];
        if (!slot) {
            slot = std::make_shared<SimWorkload>(kind);
            slot->ns = pod.ns;
            slot->name = owner.name;
            slot->uid = owner.uid;
            slot->creationMs = pod.creationMs - 1000;
            slot->containerName = pod.containers.front().name;
            slot->image = pod.containers.front().image;
            const QByteArray app = pod.label("app");
            if (isJob) {
                slot->matchLabels = {{"job-name", owner.name}};
                slot->templateLabels = {{"app", app}, {"job-name", owner.name}};
            } else {
                const QByteArray hash = pod.label("pod-template-hash");
                slot->matchLabels = {{"app", app}, {"pod-template-hash", hash}};
                slot->templateLabels = slot->matchLabels;
            }
        }
        slot->creationMs = std::min(slot->creationMs, pod.creationMs - 1000);
        ++slot->replicas;
        count(*slot, pod);
    }
    std::map<QByteArray, std::shared_ptr<SimWorkload>> deployments;
    for (auto &[key, rs] : replicaSets) {
        // A ReplicaSet is named <deployment>-<pod-template-hash>.
        const QByteArray hash = rs->matchLabels.back().second;
        const QByteArray name = rs->name.left(rs->name.size() - hash.size() - 1);
        auto &deployment = deployments[rs->ns + '/' + name];
        if (!deployment) {
            deployment = std::make_shared<SimWorkload>(Kind::Deployment);
            deployment->ns = rs->ns;
            deployment->name = name;
            deployment->uid = random.uid();
            deployment->creationMs = rs->creationMs;
            deployment->containerName = rs->containerName;
            deployment->image = rs->image;
            deployment->matchLabels = {rs->matchLabels.front()};
            deployment->templateLabels = deployment->matchLabels;
        }
        deployment->creationMs = std::min(deployment->creationMs, rs->creationMs);
        deployment->replicas += rs->replicas;
        deployment->current += rs->current;
        deployment->ready += rs->ready;
        rs->owners.push_back({"apps/v1", "Deployment", deployment->name, deployment->uid, true});
        rs->annotations = {{"deployment.kubernetes.io/revision", "1"}};
    }
    for (auto *map : {&deployments, &replicaSets, &jobs}) {
        for (auto &[key, workload] : *map) {
            workload->labels = workload->templateLabels;
            store.seed(workload);
        }
    }
}

int seedExamples(SimStore &store, const QByteArray &ns, quint64 seed)
{
    Random random(seed ^ 0x6578616d706c6573ULL);
    const qint64 now = SimStore::nowMs();
    const qint64 created = now - 3 * 24 * 3600 * 1000LL;
    std::vector<const SimNode *> nodes;
    for (const auto &[name, object] : store.objects(Kind::Node)) {
        nodes.push_back(&asNode(*object));
    }
    const auto nodeAt = [&nodes](int i) { return nodes.empty() ? nullptr : nodes[std::size_t(i) % nodes.size()]; };
    int address = 0;
    int added = 0;
    const auto add = [&](std::shared_ptr<SimPod> pod, SimWorkload *owner) {
        if (owner) {
            count(*owner, *pod);
        }
        store.seed(std::move(pod));
        ++added;
    };

    // Deployment `shop`: its selector takes tiers web and api; the db tier carries app=shop too,
    // so `-l app=shop` and the Deployment pick different pods.
    auto shop = std::make_shared<SimWorkload>(Kind::Deployment);
    shop->ns = ns;
    shop->name = "shop";
    shop->uid = random.uid();
    shop->creationMs = created;
    shop->containerName = "shop";
    shop->image = "registry.example.com/shop/shop:2.4.1";
    shop->matchLabels = {{"app", "shop"}};
    shop->matchExpressions = {{"tier", "In", {"web", "api"}}};
    shop->templateLabels = {{"app", "shop"}, {"tier", "web"}};
    shop->labels = {{"app", "shop"}};
    shop->replicas = 3;
    const QByteArray hash = random.suffix(10);
    auto shopRs = std::make_shared<SimWorkload>(*shop);
    shopRs->kind = Kind::ReplicaSet;
    shopRs->name = "shop-" + hash;
    shopRs->uid = random.uid();
    shopRs->matchLabels.push_back({"pod-template-hash", hash});
    shopRs->templateLabels.push_back({"pod-template-hash", hash});
    shopRs->owners.push_back({"apps/v1", "Deployment", shop->name, shop->uid, true});
    shopRs->annotations = {{"deployment.kubernetes.io/revision", "1"}};
    const OwnerReference rsOwner {"apps/v1", "ReplicaSet", shopRs->name, shopRs->uid, true};
    const char *const tiers[] = {"web", "api", "web"};
    for (int i = 0; i < 3; ++i) {
        auto pod = makePod(ns, shopRs->name + '-' + random.suffix(5), shopRs->name + '-',
            {{"app", "shop"}, {"tier", tiers[i]}, {"pod-template-hash", hash}}, rsOwner, *shopRs, random,
            created + i * 1000);
        schedule(*pod, nodeAt(i), i < 2, &address, random); // the third is still ContainerCreating
        add(pod, shopRs.get());
    }
    shop->current = shopRs->current;
    shop->ready = shopRs->ready;
    {
        // Not the Deployment's: same app, tier db, no owner.
        auto pod = std::make_shared<SimPod>();
        pod->ns = ns;
        pod->name = "shop-db-0";
        pod->uid = random.uid();
        pod->creationMs = created;
        pod->labels = {{"app", "shop"}, {"tier", "db"}};
        ContainerInfo c;
        c.name = "postgres";
        c.image = "docker.io/library/postgres:16.4";
        pod->containers.push_back(c);
        schedule(*pod, nodeAt(0), true, &address, random);
        add(pod, nullptr);
    }

    // StatefulSet `db`: pods db-0..db-2, named by ordinal.
    auto db = std::make_shared<SimWorkload>(Kind::StatefulSet);
    db->ns = ns;
    db->name = "db";
    db->uid = random.uid();
    db->creationMs = created;
    db->containerName = "redis";
    db->image = "docker.io/library/redis:7.4";
    db->matchLabels = {{"app", "db"}};
    db->templateLabels = db->matchLabels;
    db->labels = db->matchLabels;
    db->replicas = 3;
    const QByteArray revision = "db-" + random.hex(10);
    for (int i = 0; i < 3; ++i) {
        const QByteArray name = "db-" + QByteArray::number(i);
        auto pod = makePod(ns, name, "db-",
            {{"app", "db"}, {"apps.kubernetes.io/pod-index", QByteArray::number(i)},
                {"controller-revision-hash", revision}, {"statefulset.kubernetes.io/pod-name", name}},
            {"apps/v1", "StatefulSet", db->name, db->uid, true}, *db, random, created + i * 1000);
        schedule(*pod, nodeAt(i + 1), true, &address, random);
        add(pod, db.get());
    }

    // DaemonSet `node-agent`: one pod on every node.
    auto agent = std::make_shared<SimWorkload>(Kind::DaemonSet);
    agent->ns = ns;
    agent->name = "node-agent";
    agent->uid = random.uid();
    agent->creationMs = created;
    agent->containerName = "agent";
    agent->image = "ghcr.io/example/node-agent:0.9.0";
    agent->matchLabels = {{"app", "node-agent"}};
    agent->templateLabels = agent->matchLabels;
    agent->labels = agent->matchLabels;
    agent->replicas = int(nodes.size());
    const QByteArray agentRevision = random.hex(10);
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        auto pod = makePod(ns, "node-agent-" + random.suffix(5), "node-agent-",
            {{"app", "node-agent"}, {"controller-revision-hash", agentRevision}, {"pod-template-generation", "1"}},
            {"apps/v1", "DaemonSet", agent->name, agent->uid, true}, *agent, random, created);
        schedule(*pod, nodes[i], true, &address, random);
        add(pod, agent.get());
    }

    // Job `migrate`: one pod, still running, selected by its controller UID as real Jobs are.
    auto job = std::make_shared<SimWorkload>(Kind::Job);
    job->ns = ns;
    job->name = "migrate";
    job->uid = random.uid();
    job->creationMs = now - 5 * 60 * 1000;
    job->containerName = "migrate";
    job->image = "registry.example.com/shop/migrate:2.4.1";
    job->matchLabels = {{"batch.kubernetes.io/controller-uid", job->uid}};
    job->templateLabels = {{"batch.kubernetes.io/controller-uid", job->uid},
        {"batch.kubernetes.io/job-name", "migrate"}, {"controller-uid", job->uid}, {"job-name", "migrate"}};
    job->labels = job->templateLabels;
    job->replicas = 1;
    {
        auto pod = makePod(ns, "migrate-" + random.suffix(5), "migrate-", job->templateLabels,
            {"batch/v1", "Job", job->name, job->uid, true}, *job, random, job->creationMs + 1000);
        schedule(*pod, nodeAt(0), true, &address, random);
        add(pod, job.get());
    }

    // Job `backfill`: finished; its one pod Succeeded, so nothing of it can be tapped.
    auto done = std::make_shared<SimWorkload>(Kind::Job);
    done->ns = ns;
    done->name = "backfill";
    done->uid = random.uid();
    done->creationMs = now - 2 * 3600 * 1000LL;
    done->containerName = "backfill";
    done->image = "registry.example.com/shop/migrate:2.4.1";
    done->matchLabels = {{"batch.kubernetes.io/controller-uid", done->uid}};
    done->templateLabels = {{"batch.kubernetes.io/controller-uid", done->uid},
        {"batch.kubernetes.io/job-name", "backfill"}, {"controller-uid", done->uid}, {"job-name", "backfill"}};
    done->labels = done->templateLabels;
    done->replicas = 1;
    {
        auto pod = makePod(ns, "backfill-" + random.suffix(5), "backfill-", done->templateLabels,
            {"batch/v1", "Job", done->name, done->uid, true}, *done, random, done->creationMs + 1000);
        schedule(*pod, nodeAt(1), true, &address, random);
        pod->phase = "Succeeded";
        pod->podIP.clear();
        for (ContainerInfo &c : pod->containers) {
            c.state = ContainerInfo::State::Terminated;
            c.reason = "Completed";
            c.ready = false;
            c.finishedMs = c.startedMs + 60000;
        }
        add(pod, done.get());
    }

    for (const auto &workload : {shop, shopRs, db, agent, job, done}) {
        store.seed(workload);
    }
    return added;
}

} // namespace workloads

} // namespace podtap::sim
