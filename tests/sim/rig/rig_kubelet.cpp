// SPDX-License-Identifier: Apache-2.0
#include "rig/rig_kubelet.h"

#include "json_writer.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QThread>

#include <algorithm>
#include <csignal>
#include <cstdio>

namespace podtap::sim {

namespace {

QByteArray randomHex64()
{
    quint32 words[8];
    QRandomGenerator::global()->fillRange(words);
    return QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex();
}

bool isAgentImage(const QByteArray &image)
{
    return image.contains("podtap-agent");
}

/// False for the code points Go's strconv.IsPrint rejects that annotations may plausibly carry: C1 controls,
/// spaces other than ' ' (Zs, Zl, Zp), format characters (Cf) and private use. Unassigned code points, which Go
/// also escapes, are kept as they are: the rig needs no Unicode tables.
bool goPrintable(char32_t r)
{
    if (r < 0xA0) {
        return r >= 0x20 && r < 0x7F;
    }
    return !(r == 0xA0 || r == 0xAD || (r >= 0x600 && r <= 0x605) || r == 0x61C || r == 0x6DD || r == 0x70F ||
        r == 0x1680 || r == 0x180E || (r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) ||
        (r >= 0x205F && r <= 0x2064) || (r >= 0x2066 && r <= 0x206F) || r == 0x3000 || (r >= 0xE000 && r <= 0xF8FF) ||
        r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) || r >= 0xF0000);
}

// Go's %q (strconv.Quote), as the kubelet writes each value: \a \b \f \n \r \t \v, \xNN for other ASCII
// controls and for bytes that are not UTF-8, \uNNNN / \UNNNNNNNN for code points that are not printable, and
// printable UTF-8 as it is. A value with a line break so stays on one line.
QByteArray goQuote(const QByteArray &value)
{
    static const char hex[] = "0123456789abcdef";
    QByteArray out = "\"";
    const auto escapeHex = [&](char kind, char32_t v, int digits) {
        out += '\\';
        out += kind;
        for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
            out += hex[(v >> shift) & 0xF];
        }
    };
    for (qsizetype i = 0; i < value.size();) {
        const auto c = static_cast<unsigned char>(value[i]);
        // The length and code point of a well-formed UTF-8 sequence at i, or 0.
        int length = 0;
        char32_t r = c;
        if (c < 0x80) {
            length = 1;
        } else if (c >= 0xC2 && c <= 0xF4) {
            const int need = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
            r = c & (need == 2 ? 0x1F : need == 3 ? 0x0F : 0x07);
            bool ok = i + need <= value.size();
            for (int k = 1; ok && k < need; ++k) {
                const auto cc = static_cast<unsigned char>(value[i + k]);
                ok = (cc & 0xC0) == 0x80;
                r = (r << 6) | (cc & 0x3F);
            }
            const char32_t min = need == 2 ? 0x80 : need == 3 ? 0x800 : 0x10000;
            if (ok && r >= min && r <= 0x10FFFF && !(r >= 0xD800 && r <= 0xDFFF)) {
                length = need;
            }
        }
        if (length == 0) {
            escapeHex('x', c, 2);
            ++i;
            continue;
        }
        if (r == '"' || r == '\\') {
            out += '\\';
            out += static_cast<char>(r);
        } else if (goPrintable(r)) {
            out.append(value.constData() + i, length);
        } else {
            switch (r) {
            case '\a':
                out += "\\a";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\v':
                out += "\\v";
                break;
            default:
                if (r < 0x20 || r == 0x7F) {
                    escapeHex('x', r, 2);
                } else if (r < 0x10000) {
                    escapeHex('u', r, 4);
                } else {
                    escapeHex('U', r, 8);
                }
            }
        }
        i += length;
    }
    return out + '"';
}

void logError(const QString &text)
{
    std::fprintf(stderr, "podtap-sim: rig: %s\n", qPrintable(text));
}

} // namespace

RigKubelet::RigKubelet(SimStore *store, Options options, QObject *parent)
    : SimKubelet(store, parent)
    , m_options(std::move(options))
    , m_network(RigNetwork::prefixForThisProcess())
{
    connect(m_store, &SimStore::eventRecorded, this, &RigKubelet::onEvent);
}

RigKubelet::~RigKubelet()
{
    tearDown();
}

QString RigKubelet::findBuiltProgram(const QString &name)
{
    const QDir here(QCoreApplication::applicationDirPath());
    for (const QString &candidate : {here.filePath(name), here.filePath(QStringLiteral("../../netlink-agent/") + name),
             here.filePath(QStringLiteral("../netlink-agent/") + name)}) {
        if (QFileInfo(candidate).isExecutable()) {
            return QFileInfo(candidate).canonicalFilePath();
        }
    }
    return {};
}

QByteArray RigKubelet::formatDownwardMap(const StringPairs &pairs)
{
    StringPairs sorted = pairs;
    std::sort(sorted.begin(), sorted.end());
    QByteArrayList lines;
    for (const auto &[key, value] : sorted) {
        lines << key + '=' + goQuote(value);
    }
    return lines.join('\n');
}

RigCgroups::Runtime RigKubelet::runtimeFor(int node) const
{
    return node % 2 == 0 ? RigCgroups::Runtime::Containerd : RigCgroups::Runtime::CriO;
}

bool RigKubelet::setUp(QString *error)
{
    QStringList leftovers = RigNetwork::removeLeftovers() + RigCgroups::removeLeftovers();
    // Pod directories of dead rigs: nothing is mounted there outside the pods' own mount namespaces.
    const QDir runRoot = QFileInfo(m_options.runDir).dir();
    for (const QString &entry : runRoot.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool numeric = false;
        const int pid = entry.toInt(&numeric);
        if (numeric && !isRigAlive(pid) && QDir(runRoot.filePath(entry)).removeRecursively()) {
            leftovers << runRoot.filePath(entry);
        }
    }
    for (const QString &removed : leftovers) {
        logError(QStringLiteral("removed %1, left behind by a podtap-sim that was killed").arg(removed));
    }
    if (m_options.agentBinary.isEmpty() || !QFileInfo(m_options.agentBinary).isExecutable()) {
        *error = QStringLiteral("no podtap-agent to run in agent pods (%1): build it, or pass --agent-binary")
                     .arg(m_options.agentBinary.isEmpty() ? QStringLiteral("not found") : m_options.agentBinary);
        return false;
    }
    if (m_options.podBinary.isEmpty() || !QFileInfo(m_options.podBinary).isExecutable()) {
        *error = QStringLiteral("podtap-sim-pod is missing next to podtap-sim: build the podtap-sim-pod target");
        return false;
    }
    if (!QDir().mkpath(m_options.runDir)) {
        *error = QStringLiteral("cannot create the rig directory %1").arg(m_options.runDir);
        return false;
    }
    std::vector<QByteArray> nodeNames;
    for (const auto &[name, object] : m_store->objects(Kind::Node)) {
        nodeNames.push_back(name);
    }
    if (!m_cgroups.setUp(error) || !m_network.setUp(nodeNames, error)) {
        return false;
    }
    // The seeded pods that run: their addresses first, so every pod knows its peer when it starts.
    std::vector<std::pair<std::shared_ptr<const SimObject>, int>> running;
    std::map<int, int> perNode;
    for (const auto &[key, object] : m_store->objects(Kind::Pod)) {
        const SimPod &pod = asPod(*object);
        const int node = m_network.nodeIndex(pod.nodeName);
        if (pod.phase == "Running" && pod.scheduled && node >= 0) {
            running.emplace_back(object, node);
            if (++perNode[node] > RigNetwork::kPodsPerNode) {
                *error = QStringLiteral("node %1 would run more than %2 pods, the most the rig gives a node: lower "
                                        "--pods or raise --nodes")
                             .arg(QString::fromUtf8(pod.nodeName))
                             .arg(RigNetwork::kPodsPerNode);
                return false;
            }
        }
    }
    for (const auto &[object, node] : running) {
        if (!startRigPod(asPod(*object), node, error)) {
            return false;
        }
    }
    for (auto &[uid, rig] : m_pods) {
        for (std::size_t i = 0; i < rig->containers.size(); ++i) {
            launch(*rig, i);
        }
    }
    // Ready means every process sits in its cgroup, so an agent finds it at once.
    QElapsedTimer timer;
    timer.start();
    for (const auto &[uid, rig] : m_pods) {
        for (const Container &container : rig->containers) {
            QFile procs(container.cgroup + QStringLiteral("/cgroup.procs"));
            while (
                timer.elapsed() < 10000 && (!procs.open(QIODevice::ReadOnly) || procs.readAll().trimmed().isEmpty())) {
                procs.close();
                QCoreApplication::processEvents();
                QThread::msleep(5);
            }
        }
    }
    return true;
}

bool RigKubelet::startRigPod(const SimPod &pod, int node, QString *error)
{
    auto rig = std::make_unique<RigPod>();
    rig->ns = pod.ns;
    rig->name = pod.name;
    rig->uid = pod.uid;
    rig->node = node;
    rig->spec = pod.spec;
    rig->restartPolicy = pod.spec.isEmpty()
        ? pod.restartPolicy
        : pod.spec.value(QStringLiteral("restartPolicy")).toString(QStringLiteral("Always")).toUtf8();
    rig->hostNetwork = pod.spec.value(QStringLiteral("hostNetwork")).toBool();
    for (const ContainerInfo &c : pod.containers) {
        rig->agent = rig->agent || isAgentImage(c.image);
    }
    rig->directory = QDir(m_options.runDir).filePath(QStringLiteral("pods/") + QString::fromUtf8(pod.uid));
    QDir().mkpath(rig->directory);
    const RigNetwork::Node &host = m_network.nodes()[std::size_t(node)];
    QString netns = RigNetwork::netnsPath(host.netns);
    QByteArray podIp = host.ip;
    if (!rig->hostNetwork) {
        rig->net = m_network.addPod(node, error);
        if (!rig->net) {
            return false;
        }
        netns = RigNetwork::netnsPath(rig->net->netns);
        podIp = rig->net->ip;
        m_trafficOrder.push_back(pod.uid);
    }
    rig->enterArgs = {QStringLiteral("enter"), QStringLiteral("--netns"), netns};
    const QJsonArray specContainers = pod.spec.value(QStringLiteral("containers")).toArray();
    if (rig->agent) {
        if (!prepareAgentRoot(*rig, specContainers.at(0).toObject(), error)) {
            return false;
        }
        rig->enterArgs << QStringLiteral("--pdeathsig") << QString::number(SIGTERM);
    } else {
        rig->enterArgs << QStringLiteral("--pdeathsig") << QString::number(SIGKILL);
    }
    for (std::size_t i = 0; i < pod.containers.size(); ++i) {
        Container container;
        container.name = pod.containers[i].name;
        rig->containers.push_back(container);
        if (rig->agent) {
            const QJsonObject spec = specContainers.at(qsizetype(i)).toObject();
            QStringList command {QStringLiteral("/podtap-agent")};
            const QJsonArray explicitCommand = spec.value(QStringLiteral("command")).toArray();
            for (qsizetype k = 1; k < explicitCommand.size(); ++k) {
                command << explicitCommand.at(k).toString();
            }
            for (const QJsonValue &arg : spec.value(QStringLiteral("args")).toArray()) {
                command << arg.toString();
            }
            rig->commands.push_back(command);
        } else if (i == 0 && !rig->hostNetwork) {
            rig->commands.push_back({m_options.podBinary, QStringLiteral("traffic"), QStringLiteral("--name"),
                QString::fromUtf8(pod.ns + '/' + pod.name), QStringLiteral("--interval-ms"),
                QString::number(m_options.trafficIntervalMs)});
            rig->trafficContainer = i;
        } else {
            rig->commands.push_back({m_options.podBinary, QStringLiteral("idle")});
        }
    }
    const qint64 deadline = pod.spec.value(QStringLiteral("activeDeadlineSeconds")).toInteger(0);
    if (deadline > 0) {
        rig->deadlineTimer = std::make_unique<QTimer>();
        rig->deadlineTimer->setSingleShot(true);
        const QByteArray uid = pod.uid;
        connect(rig->deadlineTimer.get(), &QTimer::timeout, this, [this, uid] {
            const auto it = m_pods.find(uid);
            if (it != m_pods.end()) {
                it->second->deadlineExceeded = true;
                signalAll(*it->second, SIGTERM);
            }
        });
        rig->deadlineTimer->start(int(std::min<qint64>(deadline, 86400) * 1000));
    }
    const qint64 now = SimStore::nowMs();
    const QByteArray hostIp = host.ip;
    updatePod(pod.ns, pod.name, pod.uid, [&](SimPod &p) {
        p.hostIP = hostIp;
        p.podIP = podIp;
        p.startMs = now;
        p.phase = "Running";
    });
    writeDownwardFiles(*rig, pod);
    m_pods[pod.uid] = std::move(rig);
    return true;
}

bool RigKubelet::prepareAgentRoot(RigPod &rig, const QJsonObject &container, QString *error)
{
    const QString root = rig.directory + QStringLiteral("/rootfs");
    QDir().mkpath(root + QStringLiteral("/proc"));
    QDir().mkpath(root + QStringLiteral("/sys"));
    QFile entry(root + QStringLiteral("/podtap-agent"));
    if (!entry.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot create %1: %2").arg(entry.fileName(), entry.errorString());
        return false;
    }
    entry.close();
    rig.enterArgs << QStringLiteral("--root") << root << QStringLiteral("--proc") << QStringLiteral("--sys")
                  << QStringLiteral("--bind") << m_options.agentBinary + QStringLiteral(":/podtap-agent:ro");
    std::map<QString, QJsonObject> volumes;
    for (const QJsonValue &volume : rig.spec.value(QStringLiteral("volumes")).toArray()) {
        volumes[volume[QStringLiteral("name")].toString()] = volume.toObject();
    }
    for (const QJsonValue &mountValue : container.value(QStringLiteral("volumeMounts")).toArray()) {
        const QJsonObject mount = mountValue.toObject();
        const QString name = mount.value(QStringLiteral("name")).toString();
        const QString target = mount.value(QStringLiteral("mountPath")).toString();
        const auto volume = volumes.find(name);
        if (volume == volumes.end() || !target.startsWith(QLatin1Char('/')) || target.contains(QLatin1Char(':'))) {
            *error = QStringLiteral("volume mount %1 at %2 names no usable volume").arg(name, target);
            return false;
        }
        QString source;
        if (volume->second.contains(QStringLiteral("hostPath"))) {
            source = volume->second[QStringLiteral("hostPath")][QStringLiteral("path")].toString();
            if (volume->second[QStringLiteral("hostPath")][QStringLiteral("type")].toString() ==
                QLatin1String("DirectoryOrCreate")) {
                QDir().mkpath(source);
            }
        } else if (volume->second.contains(QStringLiteral("downwardAPI")) ||
            volume->second.contains(QStringLiteral("emptyDir"))) {
            source = rig.directory + QStringLiteral("/volumes/") + name;
            QDir().mkpath(source);
            if (volume->second.contains(QStringLiteral("downwardAPI"))) {
                rig.downward[name] =
                    Volume {source, volume->second[QStringLiteral("downwardAPI")][QStringLiteral("items")].toArray()};
            }
        } else {
            *error = QStringLiteral("volume %1: the rig supports hostPath, downwardAPI and emptyDir volumes").arg(name);
            return false;
        }
        if (source.contains(QLatin1Char(':')) || !QFileInfo::exists(source)) {
            *error = QStringLiteral("volume %1: the host path %2 does not exist").arg(name, source);
            return false;
        }
        if (QFileInfo(source).isDir()) {
            QDir().mkpath(root + target);
        } else {
            QDir().mkpath(QFileInfo(root + target).path());
            QFile(root + target).open(QIODevice::WriteOnly);
        }
        const bool readOnly = mount.value(QStringLiteral("readOnly")).toBool();
        rig.enterArgs << QStringLiteral("--bind")
                      << source + QLatin1Char(':') + target + (readOnly ? QStringLiteral(":ro") : QString());
    }
    return true;
}

void RigKubelet::writeDownwardFiles(const RigPod &rig, const SimPod &pod)
{
    for (const auto &[name, volume] : rig.downward) {
        for (const QJsonValue &item : volume.items) {
            const QString path = item[QStringLiteral("path")].toString();
            const QString field = item[QStringLiteral("fieldRef")][QStringLiteral("fieldPath")].toString();
            QByteArray content;
            if (field == QLatin1String("metadata.annotations")) {
                content = formatDownwardMap(pod.annotations);
            } else if (field == QLatin1String("metadata.labels")) {
                content = formatDownwardMap(pod.labels);
            } else if (field == QLatin1String("metadata.name")) {
                content = pod.name;
            } else if (field == QLatin1String("metadata.namespace")) {
                content = pod.ns;
            } else if (field == QLatin1String("metadata.uid")) {
                content = pod.uid;
            } else {
                continue;
            }
            if (path.isEmpty() || path.contains(QLatin1String(".."))) {
                continue;
            }
            // Replaced in one rename, as the kubelet's atomic writer does: a reader never sees half a file.
            QSaveFile file(volume.directory + QLatin1Char('/') + path);
            if (file.open(QIODevice::WriteOnly)) {
                file.write(content);
                file.commit();
            }
        }
    }
}

QByteArray RigKubelet::trafficPeer(const QByteArray &uid) const
{
    const auto self = std::find(m_trafficOrder.begin(), m_trafficOrder.end(), uid);
    const auto rig = m_pods.find(uid);
    if (self != m_trafficOrder.end() && m_trafficOrder.size() > 1) {
        const auto next = std::next(self) == m_trafficOrder.end() ? m_trafficOrder.begin() : std::next(self);
        const auto peer = m_pods.find(*next);
        if (peer != m_pods.end() && peer->second->net) {
            return peer->second->net->ip;
        }
    }
    if (rig != m_pods.end()) {
        return m_network.nodes()[std::size_t(rig->second->node)].ip;
    }
    return RigNetwork::workstationIp();
}

void RigKubelet::launch(RigPod &rig, std::size_t index)
{
    Container &container = rig.containers[index];
    if (!container.cgroup.isEmpty()) {
        m_cgroups.removeContainer(container.cgroup);
    }
    container.id = randomHex64();
    container.done = false;
    container.partialLine.clear();
    QString error;
    container.cgroup = m_cgroups.createContainer(runtimeFor(rig.node), rig.uid, container.id, &error);
    QStringList args = rig.enterArgs;
    if (!container.cgroup.isEmpty()) {
        args << QStringLiteral("--cgroup") << container.cgroup;
    } else {
        logError(error);
    }
    args << QStringLiteral("--") << rig.commands[index];
    if (rig.trafficContainer == index) {
        args << QStringLiteral("--peer") << QString::fromUtf8(trafficPeer(rig.uid));
    }
    auto *process = new QProcess(this);
    process->setProcessChannelMode(QProcess::MergedChannels);
    process->setProgram(m_options.podBinary);
    process->setArguments(args);
    const QByteArray uid = rig.uid;
    connect(process, &QProcess::readyRead, this, [this, uid, index] { onOutput(uid, index); });
    connect(process, &QProcess::finished, this,
        [this, uid, index](int code, QProcess::ExitStatus status) { onExited(uid, index, code, status); });
    container.process = process;
    process->start();

    const QByteArray containerId = RigCgroups::containerIdFor(runtimeFor(rig.node), container.id);
    const qint64 now = SimStore::nowMs();
    updatePod(rig.ns, rig.name, rig.uid, [&](SimPod &p) {
        if (index >= p.containers.size()) {
            return;
        }
        ContainerInfo &c = p.containers[index];
        c.containerID = containerId;
        c.state = ContainerInfo::State::Running;
        c.reason.clear();
        c.message.clear();
        c.ready = true;
        c.startedMs = now;
        c.restartCount = container.restarts;
        p.phase = "Running";
    });
}

void RigKubelet::onOutput(const QByteArray &uid, std::size_t index)
{
    const auto it = m_pods.find(uid);
    if (it == m_pods.end() || !it->second->containers[index].process) {
        return;
    }
    RigPod &rig = *it->second;
    Container &container = rig.containers[index];
    container.partialLine += container.process->readAll();
    qsizetype newline = 0;
    while ((newline = container.partialLine.indexOf('\n')) >= 0) {
        m_store->appendLog(rig.ns, rig.name, container.partialLine.left(newline));
        container.partialLine.remove(0, newline + 1);
    }
}

bool RigKubelet::allExited(const RigPod &rig) const
{
    return std::all_of(rig.containers.begin(), rig.containers.end(),
        [](const Container &c) { return !c.process || c.process->state() == QProcess::NotRunning; });
}

void RigKubelet::onExited(const QByteArray &uid, std::size_t index, int exitCode, QProcess::ExitStatus status)
{
    const auto it = m_pods.find(uid);
    if (it == m_pods.end()) {
        return;
    }
    RigPod &rig = *it->second;
    Container &container = rig.containers[index];
    onOutput(uid, index);
    if (!container.partialLine.isEmpty()) {
        m_store->appendLog(rig.ns, rig.name, container.partialLine);
        container.partialLine.clear();
    }
    const int code = status == QProcess::CrashExit ? 128 + SIGKILL : exitCode;
    container.exitCode = code;
    // The container is gone, and with it every command exec'd into it (as its PID namespace ends).
    for (const QPointer<RigExecCommand> &exec : container.execs) {
        if (exec) {
            exec->signal(SIGKILL);
        }
    }
    container.execs.clear();
    container.done = true;
    if (container.process) {
        container.process->deleteLater();
        container.process = nullptr;
    }

    if (rig.deleting || rig.gone) {
        if (allExited(rig)) {
            const QByteArray ns = rig.ns;
            const QByteArray name = rig.name;
            const bool gone = rig.gone;
            release(rig);
            m_pods.erase(it);
            if (!gone) {
                finishDeletion(ns, name, uid);
            }
        }
        return;
    }
    const bool restart =
        !rig.deadlineExceeded && (rig.restartPolicy == "Always" || (rig.restartPolicy == "OnFailure" && code != 0));
    const qint64 now = SimStore::nowMs();
    if (restart) {
        ++container.restarts;
        const int backoffMs = std::min(10000, 1000 << std::min(container.restarts - 1, 4));
        updatePod(rig.ns, rig.name, rig.uid, [&](SimPod &p) {
            ContainerInfo &c = p.containers[index];
            c.hasLastTermination = true;
            c.lastExitCode = code;
            c.lastFinishedMs = now;
            c.state = ContainerInfo::State::Waiting;
            c.ready = false;
            c.reason = "CrashLoopBackOff";
            c.message = "back-off " + QByteArray::number(backoffMs / 1000) + "s restarting failed container=" + c.name +
                " pod=" + p.name + "_" + p.ns + "(" + p.uid + ")";
            c.restartCount = container.restarts;
        });
        QTimer::singleShot(backoffMs, this, [this, uid, index] {
            const auto again = m_pods.find(uid);
            if (again != m_pods.end() && !again->second->deleting && !again->second->gone &&
                !again->second->containers[index].process) {
                launch(*again->second, index);
            }
        });
        return;
    }
    updatePod(rig.ns, rig.name, rig.uid, [&](SimPod &p) {
        ContainerInfo &c = p.containers[index];
        c.state = ContainerInfo::State::Terminated;
        c.ready = false;
        c.exitCode = code;
        c.finishedMs = now;
        c.reason = code == 0 ? "Completed" : "Error";
    });
    if (!allExited(rig)) {
        return;
    }
    const bool failed = rig.deadlineExceeded ||
        std::any_of(rig.containers.begin(), rig.containers.end(), [](const Container &c) { return c.exitCode != 0; });
    const bool deadline = rig.deadlineExceeded;
    updatePod(rig.ns, rig.name, rig.uid, [&](SimPod &p) {
        p.phase = failed ? "Failed" : "Succeeded";
        if (deadline) {
            p.reason = "DeadlineExceeded";
            p.message = "Pod was active on the node longer than the specified deadline";
        }
    });
    release(rig);
}

void RigKubelet::release(RigPod &rig)
{
    rig.killTimer.reset();
    rig.deadlineTimer.reset();
    for (Container &container : rig.containers) {
        if (!container.cgroup.isEmpty()) {
            m_cgroups.removeContainer(container.cgroup);
            container.cgroup.clear();
        }
    }
    if (rig.net) {
        m_network.removePod(*rig.net);
        rig.net.reset();
    }
    m_trafficOrder.erase(std::remove(m_trafficOrder.begin(), m_trafficOrder.end(), rig.uid), m_trafficOrder.end());
    if (!rig.directory.isEmpty()) {
        QDir(rig.directory).removeRecursively();
        rig.directory.clear();
    }
}

void RigKubelet::signalAll(RigPod &rig, int signal)
{
    for (Container &container : rig.containers) {
        // Exec'd commands live in the container: they get what its process gets.
        for (const QPointer<RigExecCommand> &exec : container.execs) {
            if (exec) {
                exec->signal(signal);
            }
        }
        if (container.process && container.process->state() != QProcess::NotRunning) {
            ::kill(pid_t(container.process->processId()), signal);
        }
    }
}

ExecCommand *RigKubelet::startExec(const SimPod &pod, const QByteArray &container, const QByteArrayList &command)
{
    const auto it = m_pods.find(pod.uid);
    if (it == m_pods.end()) {
        return SimKubelet::startExec(pod, container, command);
    }
    RigPod &rig = *it->second;
    RigExecCommand::Options options;
    options.podBinary = m_options.podBinary;
    options.deathSignal = rig.agent ? SIGTERM : SIGKILL;
    options.containerName = container;
    options.command = command;
    Container *target = nullptr;
    for (Container &c : rig.containers) {
        if (c.name == container) {
            target = &c;
        }
    }
    if (target && target->process && target->process->state() == QProcess::Running) {
        options.targetPid = target->process->processId();
        options.cgroup = target->cgroup;
    }
    auto *exec = new RigExecCommand(options);
    if (target) {
        target->execs.erase(std::remove(target->execs.begin(), target->execs.end(), nullptr), target->execs.end());
        target->execs.emplace_back(exec);
    }
    return exec;
}

void RigKubelet::startContainers(const SimPod &pod, const SimNode &node)
{
    const int index = m_network.nodeIndex(node.name);
    const bool pullFails = std::any_of(pod.containers.begin(), pod.containers.end(),
        [](const ContainerInfo &c) { return c.image.contains("does-not-exist"); });
    if (index < 0 || pullFails) {
        SimKubelet::startContainers(pod, node);
        return;
    }
    QString error;
    if (!startRigPod(pod, index, &error)) {
        logError(QStringLiteral("pod %1/%2: %3").arg(QString::fromUtf8(pod.ns), QString::fromUtf8(pod.name), error));
        const auto it = m_pods.find(pod.uid);
        if (it != m_pods.end()) {
            release(*it->second);
            m_pods.erase(it);
        }
        updatePod(pod.ns, pod.name, pod.uid, [&](SimPod &p) {
            for (ContainerInfo &c : p.containers) {
                c.state = ContainerInfo::State::Waiting;
                c.reason = "CreateContainerError";
                c.message = error.toUtf8();
            }
        });
        return;
    }
    RigPod &rig = *m_pods[pod.uid];
    for (std::size_t i = 0; i < rig.containers.size(); ++i) {
        launch(rig, i);
    }
}

void RigKubelet::podDeleting(const SimPod &pod, qint64 graceSeconds)
{
    if (m_pods.count(pod.uid) == 0) {
        SimKubelet::podDeleting(pod, graceSeconds);
        return;
    }
    stopContainers(pod, std::max<qint64>(graceSeconds, 0));
}

void RigKubelet::stopContainers(const SimPod &pod, qint64 graceSeconds)
{
    const auto it = m_pods.find(pod.uid);
    if (it == m_pods.end()) {
        SimKubelet::stopContainers(pod, graceSeconds);
        return;
    }
    RigPod &rig = *it->second;
    rig.deleting = true;
    if (allExited(rig)) {
        const QByteArray uid = rig.uid;
        release(rig);
        m_pods.erase(it);
        finishDeletion(pod.ns, pod.name, uid);
        return;
    }
    signalAll(rig, graceSeconds > 0 ? SIGTERM : SIGKILL);
    rig.killTimer = std::make_unique<QTimer>();
    rig.killTimer->setSingleShot(true);
    const QByteArray uid = pod.uid;
    connect(rig.killTimer.get(), &QTimer::timeout, this, [this, uid] {
        const auto again = m_pods.find(uid);
        if (again != m_pods.end()) {
            signalAll(*again->second, SIGKILL);
        }
    });
    rig.killTimer->start(int(std::max<qint64>(graceSeconds, 0) * 1000));
}

void RigKubelet::onEvent(const WatchEvent &event)
{
    if (event.object->kind != Kind::Pod) {
        return;
    }
    const auto it = m_pods.find(event.object->uid);
    if (it == m_pods.end()) {
        return;
    }
    RigPod &rig = *it->second;
    if (event.type == WatchEvent::Type::Deleted) {
        // Removed without the kubelet's part (a forced delete): stop now.
        rig.gone = true;
        if (allExited(rig)) {
            release(rig);
            m_pods.erase(it);
        } else {
            signalAll(rig, SIGKILL);
        }
        return;
    }
    if (!rig.downward.empty() && event.previous &&
        (event.previous->annotations != event.object->annotations || event.previous->labels != event.object->labels)) {
        writeDownwardFiles(rig, asPod(*event.object));
    }
}

QByteArray RigKubelet::describe() const
{
    QJsonArray nodes;
    for (const RigNetwork::Node &node : m_network.nodes()) {
        nodes.append(QJsonObject {
            {QStringLiteral("name"), QString::fromUtf8(node.name)},
            {QStringLiteral("netns"), node.netns},
            {QStringLiteral("ip"), QString::fromUtf8(node.ip)},
        });
    }
    QJsonArray pods;
    for (const auto &[uid, rig] : m_pods) {
        if (!rig->net) {
            continue;
        }
        pods.append(QJsonObject {
            {QStringLiteral("namespace"), QString::fromUtf8(rig->ns)},
            {QStringLiteral("name"), QString::fromUtf8(rig->name)},
            {QStringLiteral("node"), QString::fromUtf8(m_network.nodes()[std::size_t(rig->node)].name)},
            {QStringLiteral("netns"), rig->net->netns},
            {QStringLiteral("ip"), QString::fromUtf8(rig->net->ip)},
        });
    }
    return QJsonDocument(QJsonObject {
                             {QStringLiteral("workstation_netns"), m_network.workstationNetns()},
                             {QStringLiteral("workstation_ip"), QString::fromUtf8(RigNetwork::workstationIp())},
                             {QStringLiteral("underlay_netns"), m_network.underlayNetns()},
                             {QStringLiteral("nodes"), nodes},
                             {QStringLiteral("pods"), pods},
                         })
        .toJson(QJsonDocument::Indented);
}

void RigKubelet::tearDown()
{
    // Agents first, with time to remove their mirrors; everything else is killed.
    for (auto &[uid, rig] : m_pods) {
        rig->gone = true;
        for (Container &container : rig->containers) {
            for (const QPointer<RigExecCommand> &exec : container.execs) {
                if (exec) {
                    exec->signal(SIGKILL);
                }
            }
        }
        for (Container &container : rig->containers) {
            if (container.process) {
                container.process->disconnect(this);
            }
        }
        signalAll(*rig, rig->agent ? SIGTERM : SIGKILL);
    }
    QElapsedTimer timer;
    timer.start();
    for (auto &[uid, rig] : m_pods) {
        for (Container &container : rig->containers) {
            if (container.process &&
                !container.process->waitForFinished(int(std::max<qint64>(5000 - timer.elapsed(), 100)))) {
                container.process->kill();
                container.process->waitForFinished(1000);
            }
        }
    }
    for (auto &[uid, rig] : m_pods) {
        for (Container &container : rig->containers) {
            delete container.process;
        }
        release(*rig);
    }
    m_pods.clear();
    m_network.tearDown();
    m_cgroups.tearDown();
    if (!m_options.runDir.isEmpty()) {
        QDir(m_options.runDir).removeRecursively();
    }
}

} // namespace podtap::sim
