// SPDX-License-Identifier: Apache-2.0
#include "receive_rig.h"

#include "support/process.h"

#include <QRegularExpression>

#include <csignal>

namespace podtap::test::receive {

namespace {

const QString kIngressDevice = QStringLiteral("rxin");
const QString kEgressDevice = QStringLiteral("rxout");

} // namespace

std::unique_ptr<QProcess> startBothWaysMirror(const AgentRig &rig, const MirrorTarget &target, const QStringList &extra)
{
    return rig.startAgent(QStringList {QStringLiteral("mirror"), QStringLiteral("--container-id"),
                              QStringLiteral("containerd://") + rig.containerId(), QStringLiteral("--proc-root"),
                              rig.procRoot(), QStringLiteral("--vni"), QString::number(target.ingressVni),
                              QStringLiteral("--egress-vni"), QString::number(target.egressVni),
                              QStringLiteral("--remote"), rig.receiverUnderlayIp(), QStringLiteral("--port"),
                              QString::number(target.port), QStringLiteral("--direction"), QStringLiteral("both")} +
        extra);
}

QJsonObject stopMirror(QProcess &agent)
{
    agent.terminate();
    const QJsonObject stopped = AgentRig::waitForEvent(agent, QStringLiteral("stopped"), 15000, nullptr);
    agent.waitForFinished(10000);
    return stopped;
}

CaptureFileCounts captureFileCounts(const QString &file)
{
    const ProcessResult result =
        run({QStringLiteral("capinfos"), QStringLiteral("-c"), QStringLiteral("-d"), QStringLiteral("-M"), file});
    static const QRegularExpression packetsRe(QStringLiteral("Number of packets:\\s*(\\d+)"));
    static const QRegularExpression bytesRe(QStringLiteral("Data size:\\s*(\\d+) bytes"));
    const QString out = QString::fromUtf8(result.out);
    const QRegularExpressionMatch packets = packetsRe.match(out);
    const QRegularExpressionMatch bytes = bytesRe.match(out);
    CaptureFileCounts counts;
    if (result.ok() && packets.hasMatch() && bytes.hasMatch()) {
        counts.packets = packets.captured(1).toLongLong();
        counts.dataBytes = bytes.captured(1).toLongLong();
    }
    return counts;
}

qint64 snmpCounter(const QString &ns, const QString &protocol, const QString &name)
{
    // Two lines per protocol: "Ip: Forwarding DefaultTTL ..." names the fields, the next one holds the values.
    const ProcessResult result = run(AgentRig::inNs(ns, {QStringLiteral("cat"), QStringLiteral("/proc/net/snmp")}));
    const QList<QByteArray> lines = result.out.split('\n');
    const QByteArray prefix = protocol.toLatin1() + ':';
    for (qsizetype i = 0; i + 1 < lines.size(); ++i) {
        if (lines.at(i).startsWith(prefix) && lines.at(i + 1).startsWith(prefix)) {
            const qsizetype column = lines.at(i).split(' ').indexOf(name.toLatin1());
            const QList<QByteArray> values = lines.at(i + 1).split(' ');
            return column > 0 && column < values.size() ? values.at(column).toLongLong() : -1;
        }
    }
    return -1;
}

QStringList probeRoutes(const QString &sender, const MirrorTarget &target, const QString &name)
{
    return {QStringLiteral("--route"), QStringLiteral("%1,%2,%3,outbound").arg(sender).arg(target.egressVni).arg(name),
        QStringLiteral("--route"), QStringLiteral("%1,%2,%3,inbound").arg(sender).arg(target.ingressVni).arg(name)};
}

ProbeProcess::~ProbeProcess()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

bool ProbeProcess::start(const QString &ns, int port, const QString &file, const QStringList &args, QString *error)
{
    m_process.start(QStringLiteral("ip"),
        QStringList {QStringLiteral("netns"), QStringLiteral("exec"), ns, QStringLiteral("setpriv"),
            QStringLiteral("--reuid=65534"), QStringLiteral("--regid=65534"), QStringLiteral("--clear-groups"),
            builtExecutable(QStringLiteral("tests/receive/podtap-receive-probe")), QStringLiteral("--port"),
            QString::number(port), QStringLiteral("--write"), file} +
            args);
    m_ready = AgentRig::waitForEvent(m_process, QStringLiteral("ready"), 15000, nullptr);
    if (m_ready.isEmpty()) {
        *error = QStringLiteral("podtap-receive-probe did not get ready in netns %1: %2")
                     .arg(ns, QString::fromUtf8(m_process.readAllStandardError()));
        return false;
    }
    return true;
}

QJsonObject ProbeProcess::waitStopped(QString *error, int timeoutMs)
{
    const QJsonObject stopped = AgentRig::waitForEvent(m_process, QStringLiteral("stopped"), timeoutMs, nullptr);
    if (stopped.isEmpty() || !m_process.waitForFinished(10000) || m_process.exitCode() != 0) {
        *error = QStringLiteral("podtap-receive-probe did not stop cleanly (exit %1): %2")
                     .arg(m_process.exitCode())
                     .arg(QString::fromUtf8(m_process.readAllStandardError()));
        return {};
    }
    return stopped;
}

QJsonObject ProbeProcess::stop(QString *error)
{
    m_process.terminate();
    return waitStopped(error);
}

KernelAnchor::KernelAnchor(const AgentRig &rig)
    : m_rig(rig)
{
    m_dumpcap.setProcessChannelMode(QProcess::MergedChannels); // its counts come on stderr
}

KernelAnchor::~KernelAnchor()
{
    if (m_dumpcap.state() != QProcess::NotRunning) {
        m_dumpcap.kill();
        m_dumpcap.waitForFinished(5000);
    }
}

bool KernelAnchor::addDevices(const MirrorTarget &target, QString *error)
{
    for (const auto &[name, vni] :
        {std::pair {kIngressDevice, target.ingressVni}, std::pair {kEgressDevice, target.egressVni}}) {
        const QStringList add {QStringLiteral("ip"), QStringLiteral("-n"), m_rig.receiverNs(), QStringLiteral("link"),
            QStringLiteral("add"), name, QStringLiteral("type"), QStringLiteral("vxlan"), QStringLiteral("id"),
            QString::number(vni), QStringLiteral("dstport"), QString::number(target.port), QStringLiteral("local"),
            m_rig.receiverUnderlayIp(), QStringLiteral("remote"), m_rig.nodeUnderlayIp(), QStringLiteral("dev"),
            QStringLiteral("ul0")};
        const QStringList up {QStringLiteral("ip"), QStringLiteral("-n"), m_rig.receiverNs(), QStringLiteral("link"),
            QStringLiteral("set"), name, QStringLiteral("up")};
        for (const QStringList &command : {add, up}) {
            const ProcessResult result = run(command);
            if (!result.ok()) {
                *error = result.describe(command);
                return false;
            }
        }
    }
    return true;
}

bool KernelAnchor::startCapture(const QString &file, QString *error)
{
    m_output.clear();
    m_dumpcap.start(QStringLiteral("ip"),
        {QStringLiteral("netns"), QStringLiteral("exec"), m_rig.receiverNs(), QStringLiteral("dumpcap"),
            QStringLiteral("-i"), kIngressDevice, QStringLiteral("-i"), kEgressDevice, QStringLiteral("-w"), file});
    for (int i = 0; i < 50 && !m_output.contains("Capturing on"); ++i) {
        m_dumpcap.waitForReadyRead(200);
        m_output += m_dumpcap.readAll();
    }
    if (!m_output.contains("Capturing on")) {
        *error = QStringLiteral("dumpcap did not start capturing in netns %1: %2")
                     .arg(m_rig.receiverNs(), QString::fromUtf8(m_output));
        return false;
    }
    return true;
}

bool KernelAnchor::stopCapture(QString *error)
{
    if (!AgentRig::stop(m_dumpcap, SIGTERM)) {
        *error = QStringLiteral("dumpcap did not exit on SIGTERM");
        return false;
    }
    m_output += m_dumpcap.readAll();
    return true;
}

QList<KernelAnchor::Count> KernelAnchor::dumpcapCounts() const
{
    static const QRegularExpression re(QStringLiteral("Packets received/dropped on interface '(\\w+)': (\\d+)/(\\d+)"));
    QList<Count> counts;
    for (auto it = re.globalMatch(QString::fromUtf8(m_output)); it.hasNext();) {
        const QRegularExpressionMatch m = it.next();
        counts.append({m.captured(1), m.captured(2).toLongLong(), m.captured(3).toLongLong()});
    }
    return counts;
}

qint64 KernelAnchor::devicePackets() const
{
    return AgentRig::rxCounter(m_rig.receiverNs(), kIngressDevice) +
        AgentRig::rxCounter(m_rig.receiverNs(), kEgressDevice);
}

} // namespace podtap::test::receive
