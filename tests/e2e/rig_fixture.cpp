// SPDX-License-Identifier: Apache-2.0
#include "rig_fixture.h"

#include "rig/rig_cgroups.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

namespace podtap::test {

RigFixture::~RigFixture()
{
    stop();
}

bool RigFixture::start(const QStringList &args, QString *error)
{
    const QString describe = m_sim.dir() + QStringLiteral("/rig.json");
    if (!m_sim.start(QStringList {QStringLiteral("--rig"), QStringLiteral("--describe-out"), describe} + args, error)) {
        return false;
    }
    m_pid = m_sim.pid();
    QFile file(describe);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("podtap-sim --rig wrote no description to %1").arg(describe);
        return false;
    }
    const QJsonObject root = QJsonDocument::fromJson(file.readAll()).object();
    m_workstation = root.value(QStringLiteral("workstation_netns")).toString();
    m_workstationIp = root.value(QStringLiteral("workstation_ip")).toString();
    for (const QJsonValue &value : root.value(QStringLiteral("nodes")).toArray()) {
        m_nodes.append(Node {value[QStringLiteral("name")].toString(), value[QStringLiteral("netns")].toString(),
            value[QStringLiteral("ip")].toString()});
    }
    for (const QJsonValue &value : root.value(QStringLiteral("pods")).toArray()) {
        m_pods.append(Pod {value[QStringLiteral("namespace")].toString(), value[QStringLiteral("name")].toString(),
            value[QStringLiteral("node")].toString(), value[QStringLiteral("netns")].toString(),
            value[QStringLiteral("ip")].toString()});
    }
    if (m_workstation.isEmpty() || m_nodes.isEmpty()) {
        *error = QStringLiteral("the rig description %1 names no workstation namespace or nodes").arg(describe);
        return false;
    }
    return true;
}

QStringList RigFixture::stop()
{
    if (m_pid == 0) {
        return {};
    }
    QStringList left;
    if (!m_sim.stop(30000)) {
        left << QStringLiteral("podtap-sim did not finish within 30 s of SIGTERM");
    }
    left << leftovers();
    m_pid = 0;
    return left;
}

QStringList RigFixture::leftovers() const
{
    QStringList left;
    const QString prefix = QStringLiteral("ptsim%1-").arg(m_pid);
    for (const QString &entry : QDir(QStringLiteral("/run/netns")).entryList(QDir::Files | QDir::System)) {
        if (entry.startsWith(prefix)) {
            left << QStringLiteral("network namespace ") + entry;
        }
    }
    const QString cgroup = podtap::sim::RigCgroups::baseOf(m_pid);
    if (!cgroup.isEmpty() && QFile::exists(cgroup)) {
        left << QStringLiteral("cgroup ") + cgroup;
    }
    if (QFile::exists(QStringLiteral("/run/podtap-sim/%1").arg(m_pid))) {
        left << QStringLiteral("directory /run/podtap-sim/%1").arg(m_pid);
    }
    return left;
}

RigFixture::Pod RigFixture::podOn(const QString &node, int skip) const
{
    for (const Pod &pod : m_pods) {
        if ((node.isEmpty() || pod.node == node) && skip-- == 0) {
            return pod;
        }
    }
    return {};
}

RigFixture::Node RigFixture::node(const QString &name) const
{
    for (const Node &node : m_nodes) {
        if (node.name == name) {
            return node;
        }
    }
    return {};
}

ProcessResult RigFixture::inNetns(
    const QString &netns, const QStringList &command, int timeoutMs, const QByteArray &input) const
{
    return run(QStringList {QStringLiteral("ip"), QStringLiteral("netns"), QStringLiteral("exec"), netns} + command,
        timeoutMs, input, m_sim.environment());
}

ProcessResult RigFixture::podtapctl(const QStringList &args, int timeoutMs) const
{
    return inNetns(m_workstation,
        QStringList {
            builtExecutable(QStringLiteral("app/cli/podtapctl")), QStringLiteral("--kubeconfig"), kubeconfig()} +
            args,
        timeoutMs);
}

std::unique_ptr<QProcess> RigFixture::startPodtapctl(const QStringList &args) const
{
    auto process = std::make_unique<QProcess>();
    process->setProcessEnvironment(m_sim.environment());
    process->start(QStringLiteral("ip"),
        QStringList {QStringLiteral("netns"), QStringLiteral("exec"), m_workstation,
            builtExecutable(QStringLiteral("app/cli/podtapctl")), QStringLiteral("--kubeconfig"), kubeconfig()} +
            args);
    process->waitForStarted(10000);
    return process;
}

ProcessResult RigFixture::kubectl(const QStringList &args, int timeoutMs, const QByteArray &input) const
{
    return inNetns(m_workstation,
        QStringList {QStringLiteral("/usr/bin/kubectl"), QStringLiteral("--kubeconfig"), kubeconfig()} + args,
        timeoutMs, input);
}

QJsonObject RigFixture::getJson(const QStringList &what) const
{
    const ProcessResult result = kubectl(
        QStringList {QStringLiteral("get")} + what + QStringList {QStringLiteral("-o"), QStringLiteral("json")});
    return result.ok() ? QJsonDocument::fromJson(result.out).object() : QJsonObject {};
}

QStringList RigFixture::agentPods() const
{
    QStringList names;
    const QJsonObject list = getJson({QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("podtap")});
    for (const QJsonValue &pod : list[QStringLiteral("items")].toArray()) {
        names << pod[QStringLiteral("metadata")][QStringLiteral("name")].toString();
    }
    return names;
}

QStringList RigFixture::podtapObjectsIn(const Pod &pod) const
{
    QStringList found;
    for (const QString &hook : {QStringLiteral("ingress"), QStringLiteral("egress")}) {
        const ProcessResult filters = run({QStringLiteral("tc"), QStringLiteral("-n"), pod.netns,
            QStringLiteral("filter"), QStringLiteral("show"), QStringLiteral("dev"), QStringLiteral("eth0"), hook});
        if (!filters.out.trimmed().isEmpty()) {
            found << QStringLiteral("%1 filters on eth0: %2").arg(hook, QString::fromUtf8(filters.out.trimmed()));
        }
    }
    const ProcessResult qdiscs =
        run({QStringLiteral("tc"), QStringLiteral("-n"), pod.netns, QStringLiteral("qdisc"), QStringLiteral("show")});
    if (qdiscs.out.contains("clsact")) {
        found << QStringLiteral("a clsact qdisc: ") + QString::fromUtf8(qdiscs.out.trimmed());
    }
    const ProcessResult vxlan = run({QStringLiteral("ip"), QStringLiteral("-n"), pod.netns, QStringLiteral("-o"),
        QStringLiteral("link"), QStringLiteral("show"), QStringLiteral("type"), QStringLiteral("vxlan")});
    if (!vxlan.out.trimmed().isEmpty()) {
        found << QStringLiteral("VXLAN devices: ") + QString::fromUtf8(vxlan.out.trimmed());
    }
    return found;
}

QList<QStringList> RigFixture::packetFields(const QString &file, const QStringList &fields)
{
    QStringList command {QStringLiteral("tshark"), QStringLiteral("-n"), QStringLiteral("-r"), file,
        QStringLiteral("-T"), QStringLiteral("fields")};
    for (const QString &field : fields) {
        command << QStringLiteral("-e") << field;
    }
    QList<QStringList> packets;
    for (const QString &line : QString::fromUtf8(run(command).out).split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        packets << line.split(QLatin1Char('\t'));
    }
    return packets;
}

QString RigFixture::markerFlowProblem(const QString &file, const Pod &pod)
{
    const QList<QStringList> packets = packetFields(file,
        {QStringLiteral("ip.src"), QStringLiteral("ip.dst"), QStringLiteral("udp.srcport"),
            QStringLiteral("udp.dstport"), QStringLiteral("frame.packet_flags_direction"),
            QStringLiteral("frame.interface_name")});
    QSet<QString> directions; // epb_flags' direction bits: 1 inbound, 2 outbound
    QSet<QString> interfaces;
    int marker = 0;
    for (const QStringList &packet : packets) {
        if (packet.size() != 6) {
            return QStringLiteral("tshark printed %1 fields for a packet, not 6: %2")
                .arg(packet.size())
                .arg(packet.join(QLatin1Char('\t')));
        }
        interfaces.insert(packet[5]);
        if ((packet[0] == pod.ip || packet[1] == pod.ip) &&
            (packet[2] == QLatin1String("9999") || packet[3] == QLatin1String("9999"))) {
            ++marker;
            directions.insert(QString::number(packet[4].toUInt(nullptr, 16)));
        }
    }
    if (marker < 2) {
        return QStringLiteral("%1 marker packets of %2 in %3").arg(marker).arg(packets.size()).arg(file);
    }
    if (!directions.contains(QStringLiteral("1")) || !directions.contains(QStringLiteral("2"))) {
        return QStringLiteral("marker directions %1, not both 1 and 2").arg(QStringList(directions.values()).join(' '));
    }
    const QString interface = pod.ref() + QStringLiteral("/eth0");
    if (interfaces != QSet<QString> {interface}) {
        return QStringLiteral("interfaces %1, not only %2").arg(QStringList(interfaces.values()).join(' '), interface);
    }
    const ProcessResult named = run({QStringLiteral("tshark"), QStringLiteral("-r"), file, QStringLiteral("-N"),
        QStringLiteral("n"), QStringLiteral("-T"), QStringLiteral("fields"), QStringLiteral("-e"),
        QStringLiteral("ip.src_host"), QStringLiteral("-e"), QStringLiteral("ip.dst_host")});
    if (!named.ok()) {
        return named.describe({QStringLiteral("tshark -N n")});
    }
    if (!named.out.contains(pod.ref().toUtf8())) {
        return QStringLiteral("no name record for %1: %2").arg(pod.ref(), QString::fromUtf8(named.out.left(2000)));
    }
    return {};
}

} // namespace podtap::test
