// SPDX-License-Identifier: Apache-2.0
#include "workload_target.h"

#include "common/names.h"
#include "common/text_escape.h"
#include "kube/kube_client.h"

#include <QJsonArray>

namespace podtap::cluster {

namespace {

struct KindInfo
{
    WorkloadTarget::Kind kind;
    const char *singular; // for people and for `kind/name`
    const char *resource;
    const char *group;
};

const KindInfo kinds[] = {
    {WorkloadTarget::Kind::Pod, "pod", "pods", ""},
    {WorkloadTarget::Kind::Deployment, "deployment", "deployments", "apps"},
    {WorkloadTarget::Kind::ReplicaSet, "replicaset", "replicasets", "apps"},
    {WorkloadTarget::Kind::StatefulSet, "statefulset", "statefulsets", "apps"},
    {WorkloadTarget::Kind::DaemonSet, "daemonset", "daemonsets", "apps"},
    {WorkloadTarget::Kind::Job, "job", "jobs", "batch"},
};

const KindInfo *infoFor(WorkloadTarget::Kind kind)
{
    for (const KindInfo &info : kinds) {
        if (info.kind == kind) {
            return &info;
        }
    }
    return nullptr;
}

/// The kind `kubectl get` would understand by @p word (singular, plural, short name, `.group`).
const KindInfo *kindByWord(const QString &word)
{
    static const struct
    {
        const char *alias;
        WorkloadTarget::Kind kind;
    } shortNames[] = {{"po", WorkloadTarget::Kind::Pod}, {"deploy", WorkloadTarget::Kind::Deployment},
        {"rs", WorkloadTarget::Kind::ReplicaSet}, {"sts", WorkloadTarget::Kind::StatefulSet},
        {"ds", WorkloadTarget::Kind::DaemonSet}};
    const QString lower = word.toLower();
    for (const auto &alias : shortNames) {
        if (lower == QLatin1String(alias.alias)) {
            return infoFor(alias.kind);
        }
    }
    for (const KindInfo &info : kinds) {
        const QString group = QLatin1String(info.group);
        for (const QString &name : {QString::fromLatin1(info.singular), QString::fromLatin1(info.resource)}) {
            if (lower == name || (!group.isEmpty() && lower == name + QLatin1Char('.') + group)) {
                return &info;
            }
        }
    }
    return nullptr;
}

const char *const targetForms = "name a pod (POD or NS/POD), a workload (deploy/NAME, sts/NAME, ds/NAME, rs/NAME, "
                                "job/NAME) or the pods of a label selector (-l app=cart)";

std::optional<WorkloadTarget> failed(QString *error, const QString &why)
{
    if (error) {
        *error = why;
    }
    return std::nullopt;
}

QString podStatus(const QJsonObject &pod)
{
    const QJsonObject meta = pod.value(QLatin1String("metadata")).toObject();
    if (meta.contains(QLatin1String("deletionTimestamp"))) {
        return QStringLiteral("Terminating");
    }
    const QJsonObject status = pod.value(QLatin1String("status")).toObject();
    QString shown = status.value(QLatin1String("reason")).toString();
    if (shown.isEmpty()) {
        shown = status.value(QLatin1String("phase")).toString();
    }
    for (const QJsonValue &value : status.value(QLatin1String("containerStatuses")).toArray()) {
        const QJsonObject state = value.toObject().value(QLatin1String("state")).toObject();
        for (const char *key : {"waiting", "terminated"}) {
            const QString reason = state.value(QLatin1String(key)).toObject().value(QLatin1String("reason")).toString();
            if (!reason.isEmpty()) {
                shown = reason;
            }
        }
    }
    return shown.isEmpty() ? QStringLiteral("Unknown") : shown;
}

ResolvedPod podFrom(const QJsonObject &pod)
{
    const QJsonObject meta = pod.value(QLatin1String("metadata")).toObject();
    const QJsonObject status = pod.value(QLatin1String("status")).toObject();
    ResolvedPod out;
    out.namespaceName = meta.value(QLatin1String("namespace")).toString();
    out.name = meta.value(QLatin1String("name")).toString();
    out.uid = meta.value(QLatin1String("uid")).toString();
    out.node = pod.value(QLatin1String("spec")).toObject().value(QLatin1String("nodeName")).toString();
    out.podIp = status.value(QLatin1String("podIP")).toString();
    out.phase = status.value(QLatin1String("phase")).toString();
    out.status = podStatus(pod);
    for (const QJsonValue &condition : status.value(QLatin1String("conditions")).toArray()) {
        if (condition.toObject().value(QLatin1String("type")).toString() == QLatin1String("Ready")) {
            out.ready = condition.toObject().value(QLatin1String("status")).toString() == QLatin1String("True");
        }
    }
    return out;
}

/// Tappable: Running, with an address, and not on its way out.
bool tappable(const ResolvedPod &pod)
{
    return pod.phase == QLatin1String("Running") && !pod.podIp.isEmpty() && pod.status != QLatin1String("Terminating");
}

} // namespace

std::optional<WorkloadTarget> WorkloadTarget::fromSelector(
    const QString &selector, const QString &namespaceName, QString *error)
{
    QString why;
    std::optional<LabelSelector> parsed = LabelSelector::parse(selector, &why);
    if (!parsed) {
        return failed(error, why);
    }
    if (parsed->isEmpty()) {
        return failed(error,
            QStringLiteral("the label selector is empty, so it would select every pod in the namespace: name the "
                           "labels of the pods to tap, e.g. -l app=cart"));
    }
    WorkloadTarget target;
    target.kind = Kind::Selector;
    target.namespaceName = namespaceName.isEmpty() ? QStringLiteral("default") : namespaceName;
    target.selector = *parsed;
    if (!isDnsLabel(target.namespaceName)) {
        return failed(error,
            QStringLiteral("namespace %1 is not a valid namespace name (RFC 1123 label: lower-case "
                           "letters, digits and '-', at most 63)")
                .arg(quoteForMessage(target.namespaceName)));
    }
    return target;
}

std::optional<WorkloadTarget> WorkloadTarget::parse(const QString &input, const QString &namespaceName, QString *error)
{
    const QString spec = input.trimmed();
    if (spec.isEmpty()) {
        return failed(error, QStringLiteral("no target given: %1").arg(QLatin1String(targetForms)));
    }
    if (hasControlOrNul(spec)) {
        return failed(error, QStringLiteral("the target holds control characters: %1").arg(QLatin1String(targetForms)));
    }
    static const QString selectorMarks = QStringLiteral("=!(),");
    for (QChar c : spec) {
        if (selectorMarks.contains(c) || c.isSpace()) {
            return fromSelector(spec, namespaceName, error);
        }
    }
    WorkloadTarget target;
    target.namespaceName = namespaceName.isEmpty() ? QStringLiteral("default") : namespaceName;
    const QStringList parts = spec.split(QLatin1Char('/'));
    if (parts.size() > 2) {
        return failed(error,
            QStringLiteral("target %1 has more than one '/': %2; give the namespace with -n")
                .arg(quoteForMessage(spec), QLatin1String(targetForms)));
    }
    if (parts.size() == 2) {
        if (const KindInfo *info = kindByWord(parts[0])) {
            target.kind = info->kind;
            target.name = parts[1];
        } else {
            // NS/POD, as podtapctl has always taken it.
            target.kind = Kind::Pod;
            target.namespaceName = parts[0];
            target.name = parts[1];
            if (!isDnsLabel(target.namespaceName)) {
                return failed(error,
                    QStringLiteral("%1 in target %2 is neither a kind podtap taps (deploy, sts, ds, rs, job, "
                                   "pod) nor a namespace name: %3")
                        .arg(quoteForMessage(parts[0]), quoteForMessage(spec), QLatin1String(targetForms)));
            }
        }
    } else {
        target.kind = Kind::Pod;
        target.name = spec;
    }
    if (target.name.isEmpty() || !isDnsSubdomain(target.name)) {
        return failed(error,
            QStringLiteral("%1 in target %2 is not a valid %3 name (lower-case letters, digits, '-' and '.', "
                           "at most 253): check it with 'kubectl get %4 -n %5'")
                .arg(quoteForMessage(target.name), quoteForMessage(spec), QLatin1String(infoFor(target.kind)->singular),
                    QLatin1String(infoFor(target.kind)->resource), target.namespaceName));
    }
    if (!isDnsLabel(target.namespaceName)) {
        return failed(error,
            QStringLiteral("namespace %1 is not a valid namespace name (RFC 1123 label: lower-case "
                           "letters, digits and '-', at most 63)")
                .arg(quoteForMessage(target.namespaceName)));
    }
    return target;
}

QString WorkloadTarget::describe() const
{
    if (kind == Kind::Selector) {
        return QStringLiteral("the pods matching \"%1\" in namespace \"%2\"").arg(selector.toString(), namespaceName);
    }
    return QStringLiteral("%1 \"%2\" in namespace \"%3\"")
        .arg(QLatin1String(infoFor(kind)->singular), name, namespaceName);
}

QString WorkloadTarget::shortName() const
{
    if (kind == Kind::Selector) {
        return selector.toString();
    }
    return QLatin1String(infoFor(kind)->singular) + QLatin1Char('/') + name;
}

QString WorkloadTarget::resource() const
{
    return kind == Kind::Selector ? QStringLiteral("pods") : QString::fromLatin1(infoFor(kind)->resource);
}

QString WorkloadTarget::apiGroup() const
{
    return kind == Kind::Selector ? QString() : QString::fromLatin1(infoFor(kind)->group);
}

QString WorkloadTarget::apiPath() const
{
    if (kind == Kind::Selector) {
        return {};
    }
    const QString group = apiGroup();
    const QString base = group.isEmpty() ? QStringLiteral("/api/v1") : QStringLiteral("/apis/%1/v1").arg(group);
    return base + QStringLiteral("/namespaces/") + namespaceName + QLatin1Char('/') + resource() + QLatin1Char('/') +
        name;
}

QString rbacFix(const QString &verb, const QString &resource, const QString &group, const QString &namespaceName)
{
    const QString qualified = group.isEmpty() ? resource : resource + QLatin1Char('.') + group;
    const QString role = QStringLiteral("podtap-%1-%2").arg(verb, resource);
    return QStringLiteral("the RBAC rule {apiGroups: [\"%1\"], resources: [\"%2\"], verbs: [\"%3\"]} in namespace "
                          "\"%4\" is missing; an admin can grant it with 'kubectl create role %5 -n %4 --verb=%3 "
                          "--resource=%6' and 'kubectl create rolebinding %5 -n %4 --role=%5 --user=<you>'")
        .arg(group, resource, verb, namespaceName, role, qualified);
}

WorkloadResolver::WorkloadResolver(kube::KubeClient *client, QObject *parent)
    : QObject(parent)
    , m_client(client)
{
    qRegisterMetaType<podtap::cluster::WorkloadResolution>();
}

QString WorkloadResolver::apiFailure(const kube::ApiError &error, const QString &verb, const QString &resource,
    const QString &group, const QString &object) const
{
    const QString ns = m_target.namespaceName;
    if (error.isForbidden()) {
        return QStringLiteral("cannot %1 %2 in namespace \"%3\": the server refused it (%4): %5")
            .arg(verb, object, ns, error.toString(), rbacFix(verb, resource, group, ns));
    }
    if (error.isNotFound() && !error.detailsName.isEmpty()) {
        return QStringLiteral("%1 was not found in namespace \"%2\": check the name with 'kubectl get %3 -n %2', or "
                              "give the right namespace with -n")
            .arg(object, ns, resource);
    }
    if (error.isNotFound()) {
        // No Status naming the object: the API itself is missing (an old cluster, or a kind it does not serve).
        return QStringLiteral("cannot %1 %2: the server does not serve %3%4 (%5): check the cluster version and "
                              "'kubectl api-resources'")
            .arg(verb, object, resource, group.isEmpty() ? QString() : QLatin1Char('.') + group, error.toString());
    }
    return QStringLiteral("cannot %1 %2 in namespace \"%3\": %4").arg(verb, object, ns, error.toString());
}

void WorkloadResolver::resolve(const WorkloadTarget &target)
{
    ++m_generation;
    m_target = target;
    m_result = WorkloadResolution();
    m_result.target = target.describe();
    if (!m_client) {
        finish(QStringLiteral("cannot resolve %1: there is no connection to a cluster").arg(m_result.target));
        return;
    }
    if (target.kind == WorkloadTarget::Kind::Selector) {
        listPods(target.selector.toString());
        return;
    }
    const quint64 generation = m_generation;
    kube::KubeReply *reply = m_client->get(target.apiPath());
    reply->onFinished(this, [this, generation, target](kube::KubeReply *reply) {
        reply->deleteLater();
        if (generation != m_generation) {
            return;
        }
        const QString object =
            QStringLiteral("%1 \"%2\"").arg(QLatin1String(infoFor(target.kind)->singular), target.name);
        if (!reply->ok()) {
            finish(apiFailure(reply->error(), QStringLiteral("get"), target.resource(), target.apiGroup(), object));
            return;
        }
        const QJsonObject json = reply->json();
        if (target.kind == WorkloadTarget::Kind::Pod) {
            const ResolvedPod pod = podFrom(json);
            if (tappable(pod)) {
                m_result.running.append(pod);
                finish();
            } else {
                m_result.notRunning.append(pod);
                finish(QStringLiteral("pod \"%1\" in namespace \"%2\" is %3, not Running with an IP: wait until it "
                                      "runs (see 'kubectl describe pod %1 -n %2')")
                           .arg(pod.name, pod.namespaceName, pod.status));
            }
            return;
        }
        const QJsonValue selectorValue = json.value(QLatin1String("spec")).toObject().value(QLatin1String("selector"));
        QString why;
        std::optional<LabelSelector> selector =
            selectorValue.isObject() ? LabelSelector::fromObject(selectorValue.toObject(), &why) : std::nullopt;
        if (!selectorValue.isObject()) {
            why = QStringLiteral("it has no spec.selector");
        }
        if (!selector) {
            finish(QStringLiteral("cannot find the pods of %1: %2; look at 'kubectl get %3 %4 -n %5 -o yaml'")
                       .arg(m_result.target, why, target.resource(), target.name, target.namespaceName));
            return;
        }
        if (selector->isEmpty()) {
            finish(QStringLiteral("%1 has an empty selector, which would select every pod in the namespace: tap "
                                  "its pods with a label selector (-l) instead")
                       .arg(m_result.target));
            return;
        }
        listPods(selector->toString());
    });
}

void WorkloadResolver::listPods(const QString &selector)
{
    m_result.selector = selector;
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("labelSelector"), selector);
    const quint64 generation = m_generation;
    kube::KubeReply *reply =
        m_client->get(kube::KubeClient::corePath(QStringLiteral("pods"), m_target.namespaceName), query);
    reply->onFinished(this, [this, generation, selector](kube::KubeReply *reply) {
        reply->deleteLater();
        if (generation != m_generation) {
            return;
        }
        const QString ns = m_target.namespaceName;
        if (!reply->ok()) {
            finish(apiFailure(reply->error(), QStringLiteral("list"), QStringLiteral("pods"), QString(),
                QStringLiteral("the pods of %1").arg(m_result.target)));
            return;
        }
        for (const QJsonValue &item : reply->json().value(QLatin1String("items")).toArray()) {
            const ResolvedPod pod = podFrom(item.toObject());
            (tappable(pod) ? m_result.running : m_result.notRunning).append(pod);
        }
        const QString listCommand =
            QStringLiteral("kubectl get pods -n %1 -l %2 --show-labels").arg(ns, shellQuote(selector));
        if (m_result.running.isEmpty() && m_result.notRunning.isEmpty()) {
            finish(QStringLiteral("%1 selects no pods (selector \"%2\"): check the labels with 'kubectl get pods -n "
                                  "%3 --show-labels', or pick another namespace with -n")
                       .arg(m_result.target, selector, ns));
            return;
        }
        if (m_result.running.isEmpty()) {
            QStringList states;
            for (const ResolvedPod &pod : std::as_const(m_result.notRunning)) {
                states << pod.name + QStringLiteral(" (") + pod.status + QLatin1Char(')');
            }
            finish(QStringLiteral("none of the %1 pods of %2 is Running with an IP: %3; wait until they run, or see "
                                  "why with 'kubectl describe pods -n %4 -l %5'")
                       .arg(QString::number(m_result.notRunning.size()), m_result.target,
                           states.join(QStringLiteral(", ")), ns, shellQuote(selector)));
            return;
        }
        if (m_result.running.size() > m_maxPods) {
            finish(QStringLiteral("%1 has %2 running pods, more than the limit of %3 pods per tap: tap them all with "
                                  "--max-pods %2, or narrow the target with a label selector (-l) that picks fewer "
                                  "(see '%4')")
                       .arg(m_result.target, QString::number(m_result.running.size()), QString::number(m_maxPods),
                           listCommand));
            return;
        }
        finish();
    });
}

void WorkloadResolver::finish(QString error)
{
    m_result.error = std::move(error);
    const auto byName = [](const ResolvedPod &a, const ResolvedPod &b) { return a.name < b.name; };
    std::sort(m_result.running.begin(), m_result.running.end(), byName);
    std::sort(m_result.notRunning.begin(), m_result.notRunning.end(), byName);
    Q_EMIT finished(m_result);
}

QString describeResolution(const WorkloadResolution &resolution)
{
    QStringList lines;
    lines << QStringLiteral("%1: %2 running, %3 not running%4")
                 .arg(resolution.target, QString::number(resolution.running.size()),
                     QString::number(resolution.notRunning.size()),
                     resolution.selector.isEmpty() ? QString()
                                                   : QStringLiteral(" (selector %1)").arg(resolution.selector));
    for (const ResolvedPod &pod : resolution.running) {
        lines << QStringLiteral("  tap   %1  %2  %3  %4").arg(pod.key(), pod.node, pod.podIp, pod.status);
    }
    for (const ResolvedPod &pod : resolution.notRunning) {
        lines << QStringLiteral("  skip  %1  %2  %3  %4")
                     .arg(pod.key(), pod.node.isEmpty() ? QStringLiteral("<none>") : pod.node,
                         pod.podIp.isEmpty() ? QStringLiteral("<none>") : pod.podIp, pod.status);
    }
    return lines.join(QLatin1Char('\n'));
}

} // namespace podtap::cluster
