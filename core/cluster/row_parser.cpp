// SPDX-License-Identifier: Apache-2.0
#include "row_parser.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>

#include <algorithm>
#include <limits>

namespace podtap::cluster {

namespace {

constexpr int kMaxInterfaces = 64;
constexpr int kMaxIpsPerInterface = 16;
constexpr qsizetype kMaxAnnotationBytes = 256 * 1024;
constexpr qsizetype kMaxContainers = 64;

QJsonObject obj(const QJsonObject &o, QLatin1String key)
{
    return o.value(key).toObject();
}

QString str(const QJsonObject &o, QLatin1String key)
{
    return o.value(key).toString();
}

qint64 toInt(const QJsonValue &value)
{
    const double d = value.toDouble(0);
    if (!(d > -2147483648.0 && d < 2147483647.0)) {
        return 0; // NaN, absurd or not a number
    }
    return qint64(d);
}

bool conditionTrue(const QJsonArray &conditions, QLatin1String type)
{
    for (const QJsonValue &value : conditions) {
        const QJsonObject condition = value.toObject();
        if (str(condition, QLatin1String("type")) == type) {
            return str(condition, QLatin1String("status")) == QLatin1String("True");
        }
    }
    return false;
}

int digits(QStringView text, qsizetype at, int count, bool *ok)
{
    int value = 0;
    if (at + count > text.size()) {
        *ok = false;
        return 0;
    }
    for (int i = 0; i < count; ++i) {
        const QChar c = text[at + i];
        if (c < QLatin1Char('0') || c > QLatin1Char('9')) {
            *ok = false;
            return 0;
        }
        value = value * 10 + (c.unicode() - '0');
    }
    return value;
}

// Days since 1970-01-01 of a proleptic Gregorian date.
qint64 daysFromCivil(qint64 y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const qint64 era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = unsigned(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + qint64(doe) - 719468;
}

// Fills @p container's state from one containerStatuses entry.
void readContainerStatus(const QJsonObject &status, PodContainer *container, StringPool *pool)
{
    container->ready = status.value(QLatin1String("ready")).toBool(false);
    container->restarts = int(toInt(status.value(QLatin1String("restartCount"))));
    const QJsonObject state = obj(status, QLatin1String("state"));
    if (state.value(QLatin1String("running")).isObject()) {
        container->state = PodContainer::State::Running;
    } else if (const QJsonValue waiting = state.value(QLatin1String("waiting")); waiting.isObject()) {
        container->state = PodContainer::State::Waiting;
        container->reason = pool->intern(str(waiting.toObject(), QLatin1String("reason")));
    } else if (const QJsonValue terminated = state.value(QLatin1String("terminated")); terminated.isObject()) {
        container->state = PodContainer::State::Terminated;
        container->reason = pool->intern(str(terminated.toObject(), QLatin1String("reason")));
        container->exitCode = int(toInt(terminated.toObject().value(QLatin1String("exitCode"))));
    } else {
        // The kubelet reports "waiting" when it knows nothing more; a status without a state is the same.
        container->state = PodContainer::State::Waiting;
    }
}

// The containers of one kind in spec order, each with its status when the kubelet reported one.
void readContainers(const QJsonArray &specs, const QJsonArray &statuses, PodContainer::Kind kind,
    QList<PodContainer> *containers, StringPool *pool)
{
    for (qsizetype i = 0; i < specs.size() && containers->size() < kMaxContainers; ++i) {
        PodContainer container;
        container.kind = kind;
        container.name = pool->intern(str(specs.at(i).toObject(), QLatin1String("name")));
        if (container.name.isEmpty()) {
            continue; // not a container a person could name
        }
        // Statuses come in spec order in practice; look there first, then anywhere.
        QJsonObject status;
        if (i < statuses.size() && str(statuses.at(i).toObject(), QLatin1String("name")) == container.name) {
            status = statuses.at(i).toObject();
        } else {
            for (const QJsonValue &value : statuses) {
                if (str(value.toObject(), QLatin1String("name")) == container.name) {
                    status = value.toObject();
                    break;
                }
            }
        }
        if (!status.isEmpty()) {
            readContainerStatus(status, &container, pool);
        }
        containers->append(std::move(container));
    }
}

} // namespace

QString containerStateName(PodContainer::State state)
{
    switch (state) {
    case PodContainer::State::Waiting:
        return QStringLiteral("Waiting");
    case PodContainer::State::Running:
        return QStringLiteral("Running");
    case PodContainer::State::Terminated:
        return QStringLiteral("Terminated");
    case PodContainer::State::Unknown:
        break;
    }
    return QStringLiteral("Unknown");
}

RowParser::RowParser(StringPool *pool)
    : m_pool(pool)
{
}

qint64 RowParser::parseTimestamp(QStringView text)
{
    bool ok = true;
    const int year = digits(text, 0, 4, &ok);
    const int month = digits(text, 5, 2, &ok);
    const int day = digits(text, 8, 2, &ok);
    const int hour = digits(text, 11, 2, &ok);
    const int minute = digits(text, 14, 2, &ok);
    const int second = digits(text, 17, 2, &ok);
    if (!ok || text[4] != QLatin1Char('-') || text[7] != QLatin1Char('-') ||
        (text[10] != QLatin1Char('T') && text[10] != QLatin1Char('t') && text[10] != QLatin1Char(' ')) ||
        text[13] != QLatin1Char(':') || text[16] != QLatin1Char(':') || month < 1 || month > 12 || day < 1 ||
        day > 31 || hour > 23 || minute > 59 || second > 60) {
        return 0;
    }
    qsizetype at = 19;
    int millis = 0;
    if (at < text.size() && text[at] == QLatin1Char('.')) {
        ++at;
        int scale = 100;
        while (at < text.size() && text[at].isDigit()) {
            millis += (text[at].unicode() - '0') * scale;
            scale /= 10;
            ++at;
        }
    }
    qint64 offsetSeconds = 0;
    if (at < text.size() && (text[at] == QLatin1Char('+') || text[at] == QLatin1Char('-'))) {
        const int sign = text[at] == QLatin1Char('-') ? -1 : 1;
        const int oh = digits(text, at + 1, 2, &ok);
        const int om = digits(text, at + 4, 2, &ok);
        if (!ok) {
            return 0;
        }
        offsetSeconds = sign * (oh * 3600 + om * 60);
    } else if (at >= text.size() || (text[at] != QLatin1Char('Z') && text[at] != QLatin1Char('z'))) {
        return 0;
    }
    const qint64 days = daysFromCivil(year, unsigned(month), unsigned(day));
    const qint64 seconds = days * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds;
    return seconds * 1000 + millis;
}

QList<PodInterface> RowParser::networkStatus(const QString &annotation) const
{
    QList<PodInterface> interfaces;
    if (annotation.isEmpty() || annotation.size() > kMaxAnnotationBytes) {
        return interfaces;
    }
    const QJsonDocument doc = QJsonDocument::fromJson(annotation.toUtf8());
    if (!doc.isArray()) {
        return interfaces;
    }
    for (const QJsonValue &value : doc.array()) {
        if (interfaces.size() >= kMaxInterfaces) {
            break;
        }
        if (!value.isObject()) {
            continue;
        }
        const QJsonObject entry = value.toObject();
        PodInterface iface;
        iface.network = m_pool->intern(str(entry, QLatin1String("name")));
        iface.interfaceName = str(entry, QLatin1String("interface"));
        iface.mac = str(entry, QLatin1String("mac"));
        iface.isDefault = entry.value(QLatin1String("default")).toBool(false);
        for (const QJsonValue &ip : entry.value(QLatin1String("ips")).toArray()) {
            if (ip.isString() && iface.ips.size() < kMaxIpsPerInterface) {
                iface.ips << ip.toString();
            }
        }
        const QJsonObject deviceInfo = obj(entry, QLatin1String("device-info"));
        iface.deviceType = m_pool->intern(str(deviceInfo, QLatin1String("type")).toLower());
        const QString &type = iface.deviceType;
        if (type == QLatin1String("vhost-user") || type == QLatin1String("memif") || type == QLatin1String("vfio")) {
            iface.hasKernelNetdev = false;
        } else if (type == QLatin1String("pci")) {
            // A VF bound to vfio-pci belongs to userspace (DPDK); one with a kernel driver is a netdev.
            const QJsonObject pci = obj(deviceInfo, QLatin1String("pci"));
            const QString driver = str(pci, QLatin1String("driver")) + str(deviceInfo, QLatin1String("driver"));
            iface.hasKernelNetdev = !driver.contains(QLatin1String("vfio"), Qt::CaseInsensitive);
        } else if (type == QLatin1String("vdpa")) {
            const QJsonObject vdpa = obj(deviceInfo, QLatin1String("vdpa"));
            iface.hasKernelNetdev = str(vdpa, QLatin1String("driver")) != QLatin1String("vhost");
        }
        if (iface.interfaceName.isEmpty() && iface.hasKernelNetdev && iface.ips.isEmpty()) {
            continue; // nothing a person could pick
        }
        interfaces.append(std::move(iface));
    }
    return interfaces;
}

PodRow RowParser::pod(const QJsonObject &object) const
{
    PodRow row;
    const QJsonObject metadata = obj(object, QLatin1String("metadata"));
    const QJsonObject spec = obj(object, QLatin1String("spec"));
    const QJsonObject status = obj(object, QLatin1String("status"));

    row.uid = str(metadata, QLatin1String("uid"));
    row.name = str(metadata, QLatin1String("name"));
    row.namespaceName = m_pool->intern(str(metadata, QLatin1String("namespace")));
    row.creationMs = parseTimestamp(str(metadata, QLatin1String("creationTimestamp")));
    row.deletionMs = parseTimestamp(str(metadata, QLatin1String("deletionTimestamp")));
    row.nodeName = m_pool->intern(str(spec, QLatin1String("nodeName")));
    row.podIp = str(status, QLatin1String("podIP"));
    row.phase = m_pool->intern(str(status, QLatin1String("phase")));

    const QJsonObject labels = obj(metadata, QLatin1String("labels"));
    row.labels.reserve(labels.size());
    for (auto it = labels.begin(); it != labels.end(); ++it) {
        row.labels.append({m_pool->intern(it.key()), m_pool->intern(it.value().toString())});
    }
    const QJsonObject annotations = obj(metadata, QLatin1String("annotations"));
    const QJsonValue networkStatusValue = annotations.value(QLatin1String("k8s.v1.cni.cncf.io/network-status"));
    if (networkStatusValue.isString()) {
        row.interfaces = networkStatus(networkStatusValue.toString());
    }

    // STATUS, READY and RESTARTS exactly as kubectl's pod printer derives them.
    const QJsonArray specContainers = spec.value(QLatin1String("containers")).toArray();
    const QJsonArray specInitContainers = spec.value(QLatin1String("initContainers")).toArray();
    const QJsonArray conditions = status.value(QLatin1String("conditions")).toArray();
    row.totalContainers = int(specContainers.size());
    row.podReady = conditionTrue(conditions, QLatin1String("Ready"));
    QString reason = row.phase;
    const QString statusReason = str(status, QLatin1String("reason"));
    if (!statusReason.isEmpty()) {
        reason = statusReason;
    }
    qint64 restarts = 0; // a sum of ints: summed wide, clamped when stored
    qint64 lastRestart = 0;
    auto noteRestart = [&lastRestart](const QJsonObject &container) {
        const QJsonObject terminated = obj(obj(container, QLatin1String("lastState")), QLatin1String("terminated"));
        const qint64 finished = parseTimestamp(str(terminated, QLatin1String("finishedAt")));
        if (finished > lastRestart) {
            lastRestart = finished;
        }
    };

    bool initializing = false;
    const QJsonArray initStatuses = status.value(QLatin1String("initContainerStatuses")).toArray();
    for (qsizetype i = 0; i < initStatuses.size(); ++i) {
        const QJsonObject container = initStatuses.at(i).toObject();
        restarts += toInt(container.value(QLatin1String("restartCount")));
        if (toInt(container.value(QLatin1String("restartCount"))) > 0) {
            noteRestart(container);
        }
        const QJsonObject state = obj(container, QLatin1String("state"));
        const bool hasTerminated = state.value(QLatin1String("terminated")).isObject();
        const QJsonObject terminated = obj(state, QLatin1String("terminated"));
        const QJsonObject waiting = obj(state, QLatin1String("waiting"));
        const bool hasWaiting = state.value(QLatin1String("waiting")).isObject();
        // Sidecars (restartPolicy Always) that started do not hold initialization up.
        bool restartable = false;
        const QString containerName = str(container, QLatin1String("name"));
        for (const QJsonValue &specValue : specInitContainers) {
            const QJsonObject specContainer = specValue.toObject();
            if (str(specContainer, QLatin1String("name")) == containerName) {
                restartable = str(specContainer, QLatin1String("restartPolicy")) == QLatin1String("Always");
                break;
            }
        }
        if (hasTerminated && toInt(terminated.value(QLatin1String("exitCode"))) == 0) {
            continue;
        }
        if (restartable && container.value(QLatin1String("started")).toBool(false)) {
            continue;
        }
        if (hasTerminated) {
            const QString terminatedReason = str(terminated, QLatin1String("reason"));
            if (terminatedReason.isEmpty()) {
                const qint64 signal = toInt(terminated.value(QLatin1String("signal")));
                reason = signal != 0
                    ? QStringLiteral("Init:Signal:%1").arg(signal)
                    : QStringLiteral("Init:ExitCode:%1").arg(toInt(terminated.value(QLatin1String("exitCode"))));
            } else {
                reason = QStringLiteral("Init:") + terminatedReason;
            }
        } else if (hasWaiting && !str(waiting, QLatin1String("reason")).isEmpty() &&
            str(waiting, QLatin1String("reason")) != QLatin1String("PodInitializing")) {
            reason = QStringLiteral("Init:") + str(waiting, QLatin1String("reason"));
        } else {
            reason = QStringLiteral("Init:%1/%2").arg(i).arg(specInitContainers.size());
        }
        initializing = true;
        break;
    }

    if (!initializing || conditionTrue(conditions, QLatin1String("Initialized"))) {
        restarts = 0;
        bool hasRunning = false;
        const QJsonArray statuses = status.value(QLatin1String("containerStatuses")).toArray();
        for (qsizetype i = statuses.size() - 1; i >= 0; --i) {
            const QJsonObject container = statuses.at(i).toObject();
            const qint64 count = toInt(container.value(QLatin1String("restartCount")));
            restarts += count;
            if (count > 0) {
                noteRestart(container);
            }
            const QJsonObject state = obj(container, QLatin1String("state"));
            const QString waitingReason = str(obj(state, QLatin1String("waiting")), QLatin1String("reason"));
            const bool hasTerminated = state.value(QLatin1String("terminated")).isObject();
            const QJsonObject terminated = obj(state, QLatin1String("terminated"));
            const QString terminatedReason = str(terminated, QLatin1String("reason"));
            if (!waitingReason.isEmpty()) {
                reason = waitingReason;
            } else if (hasTerminated && !terminatedReason.isEmpty()) {
                reason = terminatedReason;
            } else if (hasTerminated) {
                const qint64 signal = toInt(terminated.value(QLatin1String("signal")));
                reason = signal != 0
                    ? QStringLiteral("Signal:%1").arg(signal)
                    : QStringLiteral("ExitCode:%1").arg(toInt(terminated.value(QLatin1String("exitCode"))));
            } else if (container.value(QLatin1String("ready")).toBool(false) &&
                state.value(QLatin1String("running")).isObject()) {
                hasRunning = true;
                ++row.readyContainers;
            }
        }
        if (reason == QLatin1String("Completed") && hasRunning) {
            reason = row.podReady ? QStringLiteral("Running") : QStringLiteral("NotReady");
        }
    }
    if (row.deletionMs != 0 && statusReason == QLatin1String("NodeLost")) {
        reason = QStringLiteral("Unknown");
    } else if (row.deletionMs != 0) {
        reason = QStringLiteral("Terminating");
    }
    row.status = m_pool->intern(reason);
    row.restarts = int(std::clamp<qint64>(restarts, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()));
    row.lastRestartMs = lastRestart;

    // Container IDs: app containers first, then init containers (the agent only needs one).
    for (const QLatin1String key : {QLatin1String("containerStatuses"), QLatin1String("initContainerStatuses"),
             QLatin1String("ephemeralContainerStatuses")}) {
        for (const QJsonValue &value : status.value(key).toArray()) {
            const QString id = str(value.toObject(), QLatin1String("containerID"));
            if (!id.isEmpty() && row.containerIds.size() < 64) {
                row.containerIds << id;
            }
        }
    }

    // Containers in the order they run: init, app, then ephemeral (debug) ones.
    row.containers.reserve(specInitContainers.size() + specContainers.size());
    readContainers(specInitContainers, initStatuses, PodContainer::Kind::Init, &row.containers, m_pool);
    readContainers(specContainers, status.value(QLatin1String("containerStatuses")).toArray(), PodContainer::Kind::App,
        &row.containers, m_pool);
    readContainers(spec.value(QLatin1String("ephemeralContainers")).toArray(),
        status.value(QLatin1String("ephemeralContainerStatuses")).toArray(), PodContainer::Kind::Ephemeral,
        &row.containers, m_pool);
    return row;
}

NodeRow RowParser::node(const QJsonObject &object) const
{
    NodeRow row;
    const QJsonObject metadata = obj(object, QLatin1String("metadata"));
    const QJsonObject spec = obj(object, QLatin1String("spec"));
    const QJsonObject status = obj(object, QLatin1String("status"));
    row.uid = str(metadata, QLatin1String("uid"));
    row.name = str(metadata, QLatin1String("name"));
    row.creationMs = parseTimestamp(str(metadata, QLatin1String("creationTimestamp")));
    row.unschedulable = spec.value(QLatin1String("unschedulable")).toBool(false);
    row.kubeletVersion = m_pool->intern(str(obj(status, QLatin1String("nodeInfo")), QLatin1String("kubeletVersion")));
    for (const QJsonValue &value : status.value(QLatin1String("addresses")).toArray()) {
        const QJsonObject address = value.toObject();
        if (str(address, QLatin1String("type")) == QLatin1String("InternalIP") && row.internalIp.isEmpty()) {
            row.internalIp = str(address, QLatin1String("address"));
        }
    }
    for (const QJsonValue &value : status.value(QLatin1String("conditions")).toArray()) {
        const QJsonObject condition = value.toObject();
        row.conditions.append({m_pool->intern(str(condition, QLatin1String("type"))),
            m_pool->intern(str(condition, QLatin1String("status"))), str(condition, QLatin1String("reason"))});
    }
    QStringList roles;
    const QJsonObject labels = obj(metadata, QLatin1String("labels"));
    static const QLatin1String rolePrefix("node-role.kubernetes.io/");
    for (auto it = labels.begin(); it != labels.end(); ++it) {
        if (it.key().startsWith(rolePrefix) && it.key().size() > rolePrefix.size()) {
            roles << it.key().mid(rolePrefix.size());
        } else if (it.key() == QLatin1String("kubernetes.io/role") && !it.value().toString().isEmpty()) {
            roles << it.value().toString();
        }
    }
    roles.sort();
    roles.removeDuplicates();
    row.roles = m_pool->intern(roles.isEmpty() ? QStringLiteral("<none>") : roles.join(QLatin1Char(',')));
    return row;
}

NamespaceRow RowParser::namespaceRow(const QJsonObject &object) const
{
    NamespaceRow row;
    const QJsonObject metadata = obj(object, QLatin1String("metadata"));
    row.uid = str(metadata, QLatin1String("uid"));
    row.name = m_pool->intern(str(metadata, QLatin1String("name")));
    row.creationMs = parseTimestamp(str(metadata, QLatin1String("creationTimestamp")));
    row.phase = m_pool->intern(str(obj(object, QLatin1String("status")), QLatin1String("phase")));
    return row;
}

QString NodeRow::status() const
{
    QString text = QStringLiteral("Unknown");
    for (const NodeCondition &condition : conditions) {
        if (condition.type == QLatin1String("Ready")) {
            text = condition.status == QLatin1String("True") ? QStringLiteral("Ready")
                : condition.status == QLatin1String("False") ? QStringLiteral("NotReady")
                                                             : QStringLiteral("Unknown");
        }
    }
    if (unschedulable) {
        text += QStringLiteral(",SchedulingDisabled");
    }
    return text;
}

} // namespace podtap::cluster
