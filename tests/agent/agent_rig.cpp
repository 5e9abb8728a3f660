// SPDX-License-Identifier: Apache-2.0
#include "agent_rig.h"

#include "support/process.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QThread>

#include <csignal>
#include <sys/stat.h>
#include <unistd.h>

namespace podtap::test {

namespace {

QString randomHex(int bytes)
{
    QString out;
    for (int i = 0; i < bytes; ++i) {
        out += QStringLiteral("%1").arg(QRandomGenerator::global()->bounded(256), 2, 16, QLatin1Char('0'));
    }
    return out;
}

bool ok(const QStringList &command, QString *error)
{
    const ProcessResult result = run(command, 20000);
    if (!result.ok() && error) {
        *error = result.describe(command);
    }
    return result.ok();
}

/// The mount point of the cgroup2 hierarchy, or empty.
QString cgroup2Mount()
{
    QFile mountinfo(QStringLiteral("/proc/self/mountinfo"));
    if (!mountinfo.open(QIODevice::ReadOnly)) {
        return {};
    }
    for (const QByteArray &line : mountinfo.readAll().split('\n')) {
        const int dash = line.indexOf(" - ");
        if (dash < 0 || !line.mid(dash + 3).startsWith("cgroup2 ")) {
            continue;
        }
        const QList<QByteArray> fields = line.left(dash).split(' ');
        if (fields.size() > 4) {
            return QString::fromUtf8(fields.at(4));
        }
    }
    return {};
}

void startIn(QProcess &process, const QStringList &command)
{
    process.start(command.first(), command.mid(1));
}

quint64 inodeOf(const QString &path)
{
    struct stat st = {};
    return ::stat(QFile::encodeName(path).constData(), &st) == 0 ? st.st_ino : 0;
}

} // namespace

AgentRig::AgentRig(const QString &tag)
    : m_tag(tag)
    , m_node(QStringLiteral("ptn%1").arg(tag))
    , m_pod(QStringLiteral("ptp%1").arg(tag))
    , m_receiver(QStringLiteral("ptr%1").arg(tag))
{
}

AgentRig::~AgentRig()
{
    tearDown();
}

QString AgentRig::agentPath()
{
    return builtExecutable(QStringLiteral("netlink-agent/podtap-agent"));
}

QStringList AgentRig::inNs(const QString &ns, const QStringList &command)
{
    return QStringList {QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("exec"), ns} + command;
}

bool AgentRig::linkExists(const QString &ns, const QString &device)
{
    return run({QStringLiteral("ip"), QStringLiteral("-n"), ns, QStringLiteral("link"), QStringLiteral("show"), device})
        .ok();
}

QJsonObject AgentRig::linkDetails(const QString &ns, const QString &device)
{
    const ProcessResult result = run({QStringLiteral("ip"), QStringLiteral("-d"), QStringLiteral("-j"),
        QStringLiteral("-n"), ns, QStringLiteral("link"), QStringLiteral("show"), device});
    return QJsonDocument::fromJson(result.out).array().at(0).toObject();
}

QString AgentRig::nodeUnderlayIp() const
{
    return m_options.ipv6Underlay ? QStringLiteral("2001:db8:1::1") : QStringLiteral("198.51.100.1");
}

QString AgentRig::receiverUnderlayIp() const
{
    return m_options.ipv6Underlay ? QStringLiteral("2001:db8:1::2") : QStringLiteral("198.51.100.2");
}

qint64 AgentRig::podPid() const
{
    return m_podProcess ? m_podProcess->processId() : 0;
}

bool AgentRig::setUp(const AgentRigOptions &options, QString *error)
{
    m_options = options;
    m_up = true;
    const QString ip = QStringLiteral("ip");
    const auto sh = [](const QString &line) { return line.split(QLatin1Char(' '), Qt::SkipEmptyParts); };
    const QString family = options.ipv6Underlay ? QStringLiteral("/64 nodad") : QStringLiteral("/24");
    const QStringList steps = {
        QStringLiteral("ip netns add %1").arg(m_node),
        QStringLiteral("ip netns add %1").arg(m_pod),
        QStringLiteral("ip netns add %1").arg(m_receiver),
        QStringLiteral("ip -n %1 link set lo up").arg(m_node),
        QStringLiteral("ip -n %1 link set lo up").arg(m_pod),
        QStringLiteral("ip -n %1 link set lo up").arg(m_receiver),
        QStringLiteral("ip -n %1 link add ul0 mtu %2 type veth peer name ul0 netns %3 mtu %2")
            .arg(m_node)
            .arg(options.underlayMtu)
            .arg(m_receiver),
        QStringLiteral("ip -n %1 addr add %2%3 dev ul0").arg(m_node, nodeUnderlayIp(), family),
        QStringLiteral("ip -n %1 addr add %2%3 dev ul0").arg(m_receiver, receiverUnderlayIp(), family),
        QStringLiteral("ip -n %1 link set ul0 up").arg(m_node),
        QStringLiteral("ip -n %1 link set ul0 up").arg(m_receiver),
        QStringLiteral("ip -n %1 link add vpod mtu %2 type veth peer name eth0 netns %3 mtu %2")
            .arg(m_node)
            .arg(options.podMtu)
            .arg(m_pod),
        QStringLiteral("ip -n %1 addr add 192.0.2.1/24 dev vpod").arg(m_node),
        QStringLiteral("ip -n %1 addr add 192.0.2.2/24 dev eth0").arg(m_pod),
        QStringLiteral("ip -n %1 link set vpod up").arg(m_node),
        QStringLiteral("ip -n %1 link set eth0 up").arg(m_pod),
    };
    for (const QString &step : steps) {
        if (!ok(sh(step), error)) {
            tearDown();
            return false;
        }
    }
    Q_UNUSED(ip);
    if (!placeInCgroup(error)) {
        tearDown();
        return false;
    }
    return true;
}

bool AgentRig::placeInCgroup(QString *error)
{
    m_containerId = randomHex(32);
    m_podUid =
        QStringLiteral("%1-%2-%3-%4-%5").arg(randomHex(4), randomHex(2), randomHex(2), randomHex(2), randomHex(6));
    QString uidUnderscored = m_podUid;
    uidUnderscored.replace(QLatin1Char('-'), QLatin1Char('_'));
    const QString scope = m_options.runtime == AgentRigOptions::Runtime::Containerd
        ? QStringLiteral("cri-containerd-%1.scope").arg(m_containerId)
        : QStringLiteral("crio-%1.scope").arg(m_containerId);
    const QString relative = QStringLiteral("podtap-test-%1/kubepods.slice/kubepods-besteffort.slice/"
                                            "kubepods-besteffort-pod%2.slice/%3")
                                 .arg(m_tag, uidUnderscored, scope);

    m_podProcess = std::make_unique<QProcess>();
    startIn(*m_podProcess, inNs(m_pod, {QStringLiteral("sleep"), QStringLiteral("3600")}));
    if (!m_podProcess->waitForStarted(5000)) {
        *error = QStringLiteral("cannot start the pod process: ") + m_podProcess->errorString();
        return false;
    }
    const qint64 pid = m_podProcess->processId();
    // `ip netns exec` enters the netns and then execs sleep; wait until the pid is inside the pod netns.
    const quint64 podInode = inodeOf(QStringLiteral("/var/run/netns/") + m_pod);
    QDeadlineTimer deadline(5000);
    while (inodeOf(QStringLiteral("/proc/%1/ns/net").arg(pid)) != podInode) {
        if (deadline.hasExpired() || m_podProcess->waitForFinished(0)) {
            m_podProcess->waitForFinished(100);
            *error =
                QStringLiteral("the pod process %1 never entered netns %2 (inode %3, process in %4): %5")
                    .arg(pid)
                    .arg(m_pod)
                    .arg(podInode)
                    .arg(inodeOf(QStringLiteral("/proc/%1/ns/net").arg(pid)))
                    .arg(QString::fromUtf8(m_podProcess->readAllStandardError()) +
                        QString::number(m_podProcess->state()) + QStringLiteral(" ") +
                        QString::fromUtf8(QFile::symLinkTarget(QStringLiteral("/proc/%1/ns/net").arg(pid)).toUtf8()));
            return false;
        }
        QThread::msleep(5);
    }

    const QString mount = cgroup2Mount();
    if (!mount.isEmpty() && QDir().mkpath(mount + QLatin1Char('/') + relative)) {
        m_cgroupRoot = mount + QStringLiteral("/podtap-test-") + m_tag;
        QFile procs(mount + QLatin1Char('/') + relative + QStringLiteral("/cgroup.procs"));
        if (procs.open(QIODevice::WriteOnly) && procs.write(QByteArray::number(pid)) > 0 && procs.flush()) {
            procs.close();
            const QByteArray cgroup = [&] {
                QFile f(QStringLiteral("/proc/%1/cgroup").arg(pid));
                return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
            }();
            if (cgroup.contains(m_containerId.toLatin1())) {
                return true; // a real process in a real cgroup path; the agent reads /proc
            }
        }
    }
    // No writable cgroup2 here: a fake proc root that still points at the real netns.
    const QString fakePid = m_workDir.path() + QStringLiteral("/proc/%1").arg(pid);
    QDir().mkpath(fakePid + QStringLiteral("/ns"));
    QFile cgroup(fakePid + QStringLiteral("/cgroup"));
    if (!cgroup.open(QIODevice::WriteOnly)) {
        *error = QStringLiteral("cannot write the fake proc tree in ") + m_workDir.path();
        return false;
    }
    cgroup.write(QStringLiteral("0::/%1\n").arg(relative).toUtf8());
    cgroup.close();
    QFile::link(QStringLiteral("/proc/%1/ns/net").arg(pid), fakePid + QStringLiteral("/ns/net"));
    m_procRoot = m_workDir.path() + QStringLiteral("/proc");
    return true;
}

void AgentRig::killPod()
{
    if (m_podProcess && m_podProcess->state() != QProcess::NotRunning) {
        m_podProcess->kill();
        m_podProcess->waitForFinished(5000);
    }
}

void AgentRig::tearDown()
{
    if (!m_up) {
        return;
    }
    m_up = false;
    killPod();
    m_podProcess.reset();
    if (!m_cgroupRoot.isEmpty()) {
        // Remove the leaves first: cgroup directories are removed one by one, bottom up.
        QStringList dirs;
        QDir root(m_cgroupRoot);
        std::function<void(const QString &)> collect = [&](const QString &path) {
            for (const QString &child : QDir(path).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
                collect(path + QLatin1Char('/') + child);
            }
            dirs << path;
        };
        collect(m_cgroupRoot);
        for (const QString &dir : dirs) {
            for (int attempt = 0; attempt < 50 && !QDir().rmdir(dir); ++attempt) {
                QThread::msleep(10); // the killed process leaves its cgroup asynchronously
            }
        }
        m_cgroupRoot.clear();
    }
    for (const QString &ns : {m_node, m_pod, m_receiver}) {
        run({QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("del"), ns});
    }
}

std::unique_ptr<QProcess> AgentRig::startAgent(const QStringList &args) const
{
    auto process = std::make_unique<QProcess>();
    startIn(*process, inNs(m_node, QStringList {agentPath()} + args));
    process->waitForStarted(5000);
    return process;
}

std::unique_ptr<QProcess> AgentRig::startReceiver(int vni, const QString &name) const
{
    auto process = std::make_unique<QProcess>();
    startIn(*process,
        inNs(m_receiver,
            {agentPath(), QStringLiteral("receive"), QStringLiteral("--vni"), QString::number(vni),
                QStringLiteral("--name"), name, QStringLiteral("--remote"), nodeUnderlayIp()}));
    process->waitForStarted(5000);
    return process;
}

QJsonObject AgentRig::waitForEvent(QProcess &process, const QString &event, int timeoutMs, QList<QJsonObject> *seen)
{
    QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        while (process.canReadLine()) {
            const QJsonObject object = QJsonDocument::fromJson(process.readLine()).object();
            if (seen) {
                seen->append(object);
            }
            if (object.value(QStringLiteral("event")).toString() == event) {
                return object;
            }
        }
        if (deadline.hasExpired()) {
            return {};
        }
        if (process.state() == QProcess::NotRunning) {
            if (!process.canReadLine()) {
                return {};
            }
            continue;
        }
        process.waitForReadyRead(static_cast<int>(qMax<qint64>(1, deadline.remainingTime())));
    }
}

bool AgentRig::stop(QProcess &process, int signal, int timeoutMs)
{
    if (process.state() == QProcess::NotRunning) {
        return true;
    }
    ::kill(static_cast<pid_t>(process.processId()), signal);
    return process.waitForFinished(timeoutMs);
}

RigCapture AgentRig::startCapture(const QString &device, QString *error) const
{
    RigCapture capture;
    capture.pcap = m_workDir.path() +
        QStringLiteral("/capture-%1-%2.pcap").arg(device).arg(QRandomGenerator::global()->generate());
    capture.process = std::make_unique<QProcess>();
    startIn(*capture.process,
        inNs(m_receiver,
            {QStringLiteral("tshark"), QStringLiteral("-n"), QStringLiteral("-i"), device, QStringLiteral("-w"),
                capture.pcap, QStringLiteral("-a"), QStringLiteral("duration:60")}));
    QByteArray err;
    QDeadlineTimer deadline(15000);
    while (!err.contains("Capturing on")) {
        if (deadline.hasExpired() || capture.process->state() == QProcess::NotRunning) {
            *error = QStringLiteral("tshark did not start capturing on %1: %2").arg(device, QString::fromUtf8(err));
            capture.process.reset();
            return capture;
        }
        capture.process->waitForReadyRead(200);
        err += capture.process->readAllStandardError();
    }
    // dumpcap announces the interface slightly before its ring buffer receives packets, and nothing it
    // exposes says when that happens; without this pause the first mirrored packet is sometimes missed.
    QThread::msleep(400);
    return capture;
}

QList<QStringList> AgentRig::finishCapture(RigCapture &capture, const QStringList &fields) const
{
    QList<QStringList> rows;
    if (!capture.process) {
        return rows;
    }
    QThread::msleep(300); // let the last tunnel packets reach the capture before it stops
    stop(*capture.process, SIGINT, 10000);
    QStringList command = {QStringLiteral("tshark"), QStringLiteral("-n"), QStringLiteral("-r"), capture.pcap,
        QStringLiteral("-T"), QStringLiteral("fields"), QStringLiteral("-E"), QStringLiteral("separator=|")};
    for (const QString &field : fields) {
        command << QStringLiteral("-e") << field;
    }
    const ProcessResult result = run(command, 30000);
    for (const QByteArray &line : result.out.split('\n')) {
        if (!line.isEmpty()) {
            rows << QString::fromUtf8(line).split(QLatin1Char('|'));
        }
    }
    return rows;
}

QString AgentRig::podFilters(const QString &hook) const
{
    return QString::fromUtf8(run({QStringLiteral("tc"), QStringLiteral("-n"), m_pod, QStringLiteral("filter"),
                                     QStringLiteral("show"), QStringLiteral("dev"), QStringLiteral("eth0"), hook})
                                 .out);
}

bool AgentRig::bashIn(const QString &ns, const QString &script)
{
    return run(inNs(ns, {QStringLiteral("bash"), QStringLiteral("-c"), script}), 15000).exitCode >= 0;
}

double AgentRig::iperfTcpGbit(int seconds) const
{
    QProcess server;
    server.start(QStringLiteral("ip"),
        {QStringLiteral("netns"), QStringLiteral("exec"), m_node, QStringLiteral("iperf3"), QStringLiteral("-s"),
            QStringLiteral("-1"), QStringLiteral("-B"), nodePodSideIp()});
    server.waitForStarted();
    QThread::msleep(300); // iperf3 -s says it listens only on a terminal; give it time to bind
    const QByteArray out = mustRun(inNs(m_pod,
                                       {QStringLiteral("iperf3"), QStringLiteral("-c"), nodePodSideIp(),
                                           QStringLiteral("-t"), QString::number(seconds), QStringLiteral("-J")}),
        60000 + seconds * 1000);
    server.waitForFinished(5000);
    const QJsonObject end = QJsonDocument::fromJson(out).object().value(QStringLiteral("end")).toObject();
    return end.value(QStringLiteral("sum_received")).toObject().value(QStringLiteral("bits_per_second")).toDouble() /
        1e9;
}

qint64 AgentRig::rxCounter(const QString &ns, const QString &dev, const QString &field)
{
    const QByteArray out = run({QStringLiteral("ip"), QStringLiteral("-n"), ns, QStringLiteral("-j"),
                                   QStringLiteral("-s"), QStringLiteral("link"), QStringLiteral("show"), dev})
                               .out;
    return QJsonDocument::fromJson(out)
        .array()
        .at(0)
        .toObject()
        .value(QStringLiteral("stats64"))
        .toObject()
        .value(QStringLiteral("rx"))
        .toObject()
        .value(field)
        .toInteger();
}

} // namespace podtap::test
