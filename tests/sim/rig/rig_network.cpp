// SPDX-License-Identifier: Apache-2.0
#include "rig_network.h"

#include "rig_cgroups.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>

#include <csignal>
#include <unistd.h>

namespace podtap::sim {

namespace {

QByteArray nodeIp(int node)
{
    return "198.51.100." + QByteArray::number(node + 1);
}

QByteArray podBlock(int node)
{
    return "203.0.113." + QByteArray::number(node * 32) + "/27";
}

QByteArray podIp(int node, int slot)
{
    return "203.0.113." + QByteArray::number(node * 32 + slot + 1);
}

// Quiet namespaces: no IPv6 (no MLD or router solicitations in captures), routing on.
const QStringList kSysctls {
    QStringLiteral("net.ipv6.conf.all.disable_ipv6=1"),
    QStringLiteral("net.ipv6.conf.default.disable_ipv6=1"),
    QStringLiteral("net.ipv4.ip_forward=1"),
    QStringLiteral("net.ipv4.conf.all.proxy_arp=1"),
};

} // namespace

bool runIp(const QStringList &args, const QByteArray &batch, QString *error)
{
    QProcess ip;
    ip.setProcessChannelMode(QProcess::MergedChannels);
    ip.start(QStringLiteral("ip"), args);
    if (!ip.waitForStarted(10000)) {
        *error = QStringLiteral("ip %1: %2").arg(args.join(QLatin1Char(' ')), ip.errorString());
        return false;
    }
    if (!batch.isEmpty()) {
        ip.write(batch);
    }
    ip.closeWriteChannel();
    if (!ip.waitForFinished(30000)) {
        ip.kill();
        ip.waitForFinished(1000);
        *error = QStringLiteral("ip %1: timed out").arg(args.join(QLatin1Char(' ')));
        return false;
    }
    if (ip.exitStatus() != QProcess::NormalExit || ip.exitCode() != 0) {
        *error = QStringLiteral("ip %1 failed: %2%3")
                     .arg(args.join(QLatin1Char(' ')), QString::fromLocal8Bit(ip.readAll()).trimmed(),
                         batch.isEmpty() ? QString() : QStringLiteral(" (batch: %1)").arg(QString::fromUtf8(batch)));
        return false;
    }
    return true;
}

RigNetwork::RigNetwork(QString prefix)
    : m_prefix(std::move(prefix))
{
}

RigNetwork::~RigNetwork()
{
    tearDown();
}

QString RigNetwork::prefixForThisProcess()
{
    return QStringLiteral("ptsim%1").arg(::getpid());
}

QStringList RigNetwork::removeLeftovers()
{
    QStringList removed;
    static const QRegularExpression name(QStringLiteral("^ptsim(\\d+)-"));
    const QStringList entries = QDir(QStringLiteral("/run/netns")).entryList(QDir::Files | QDir::System);
    for (const QString &entry : entries) {
        const QRegularExpressionMatch match = name.match(entry);
        if (!match.hasMatch() || isRigAlive(match.captured(1).toInt())) {
            continue;
        }
        QProcess pids;
        pids.start(QStringLiteral("ip"), {QStringLiteral("netns"), QStringLiteral("pids"), entry});
        pids.waitForFinished(10000);
        for (const QByteArray &pid : pids.readAllStandardOutput().split('\n')) {
            if (const int value = pid.trimmed().toInt(); value > 1) {
                ::kill(value, SIGKILL);
            }
        }
        QString error;
        if (runIp({QStringLiteral("netns"), QStringLiteral("del"), entry}, {}, &error)) {
            removed << entry;
        }
    }
    return removed;
}

bool RigNetwork::addNetns(const QString &name, QString *error)
{
    if (!runIp({QStringLiteral("netns"), QStringLiteral("add"), name}, {}, error)) {
        return false;
    }
    m_namespaces << name;
    QProcess sysctl;
    sysctl.setProcessChannelMode(QProcess::MergedChannels);
    sysctl.start(QStringLiteral("ip"),
        QStringList {
            QStringLiteral("netns"), QStringLiteral("exec"), name, QStringLiteral("sysctl"), QStringLiteral("-qw")} +
            kSysctls);
    if (!sysctl.waitForFinished(10000) || sysctl.exitCode() != 0) {
        *error = QStringLiteral("sysctl in the network namespace %1 failed: %2")
                     .arg(name, QString::fromLocal8Bit(sysctl.readAll()).trimmed());
        return false;
    }
    return true;
}

bool RigNetwork::setUp(const std::vector<QByteArray> &nodeNames, QString *error)
{
    if (nodeNames.empty() || nodeNames.size() > std::size_t(kMaxNodes)) {
        *error =
            QStringLiteral("the rig needs 1 to %1 nodes, not %2: change --nodes").arg(kMaxNodes).arg(nodeNames.size());
        return false;
    }
    const QString underlay = underlayNetns();
    if (!addNetns(underlay, error) || !addNetns(workstationNetns(), error)) {
        return false;
    }
    QByteArray underlayBatch = "link add br0 type bridge\nlink set br0 up\n";
    underlayBatch += "link add ws type veth peer name eth0 netns " + workstationNetns().toUtf8() + "\n";
    underlayBatch += "link set ws master br0 up\n";
    QByteArray workstationBatch = "link set lo up\naddr add " + workstationIp() + "/24 dev eth0\nlink set eth0 up\n";
    for (std::size_t i = 0; i < nodeNames.size(); ++i) {
        const int index = int(i);
        Node node {nodeNames[i], m_prefix + QStringLiteral("-n%1").arg(index), nodeIp(index)};
        if (!addNetns(node.netns, error)) {
            return false;
        }
        underlayBatch += "link add n" + QByteArray::number(index) + " type veth peer name eth0 netns " +
            node.netns.toUtf8() + "\nlink set n" + QByteArray::number(index) + " master br0 up\n";
        workstationBatch += "route add " + podBlock(index) + " via " + node.ip + "\n";
        m_nodes.push_back(node);
        m_slotsUsed.emplace_back(kPodsPerNode, false);
    }
    if (!runIp({QStringLiteral("-n"), underlay, QStringLiteral("-batch"), QStringLiteral("-")}, underlayBatch, error) ||
        !runIp({QStringLiteral("-n"), workstationNetns(), QStringLiteral("-batch"), QStringLiteral("-")},
            workstationBatch, error)) {
        return false;
    }
    for (std::size_t i = 0; i < m_nodes.size(); ++i) {
        QByteArray batch = "link set lo up\naddr add " + m_nodes[i].ip + "/24 dev eth0\nlink set eth0 up\n";
        for (std::size_t j = 0; j < m_nodes.size(); ++j) {
            if (j != i) {
                batch += "route add " + podBlock(int(j)) + " via " + m_nodes[j].ip + "\n";
            }
        }
        if (!runIp({QStringLiteral("-n"), m_nodes[i].netns, QStringLiteral("-batch"), QStringLiteral("-")}, batch,
                error)) {
            return false;
        }
    }
    return true;
}

int RigNetwork::nodeIndex(const QByteArray &name) const
{
    for (std::size_t i = 0; i < m_nodes.size(); ++i) {
        if (m_nodes[i].name == name) {
            return int(i);
        }
    }
    return -1;
}

std::optional<RigNetwork::Pod> RigNetwork::addPod(int node, QString *error)
{
    if (node < 0 || node >= int(m_nodes.size())) {
        *error = QStringLiteral("node %1 is not part of the rig").arg(node);
        return std::nullopt;
    }
    std::vector<bool> &slots = m_slotsUsed[std::size_t(node)];
    const auto freeSlot = std::find(slots.begin(), slots.end(), false);
    if (freeSlot == slots.end()) {
        *error =
            QStringLiteral("node %1 already runs %2 rig pods, the most its /27 holds; lower --pods or raise --nodes")
                .arg(QString::fromUtf8(m_nodes[std::size_t(node)].name))
                .arg(kPodsPerNode);
        return std::nullopt;
    }
    Pod pod;
    pod.node = node;
    pod.slot = int(freeSlot - slots.begin());
    pod.ip = podIp(node, pod.slot);
    pod.netns = m_prefix + QStringLiteral("-p%1").arg(m_nextPod++);
    if (!addNetns(pod.netns, error)) {
        return std::nullopt;
    }
    *freeSlot = true;
    const QByteArray hostSide = "vp" + QByteArray::number(pod.slot);
    const QByteArray nodeBatch = "link add " + hostSide + " mtu 1450 type veth peer name eth0 mtu 1450 netns " +
        pod.netns.toUtf8() + "\nlink set " + hostSide + " up\nroute add " + pod.ip + "/32 dev " + hostSide + "\n";
    const QByteArray podBatch =
        "link set lo up\naddr add " + pod.ip + "/32 dev eth0\nlink set eth0 up\nroute add default dev eth0\n";
    if (!runIp({QStringLiteral("-n"), m_nodes[std::size_t(node)].netns, QStringLiteral("-batch"), QStringLiteral("-")},
            nodeBatch, error) ||
        !runIp({QStringLiteral("-n"), pod.netns, QStringLiteral("-batch"), QStringLiteral("-")}, podBatch, error)) {
        removePod(pod);
        return std::nullopt;
    }
    return pod;
}

void RigNetwork::removePod(const Pod &pod)
{
    QString error;
    runIp({QStringLiteral("netns"), QStringLiteral("del"), pod.netns}, {}, &error);
    m_namespaces.removeAll(pod.netns);
    if (pod.node >= 0 && pod.node < int(m_slotsUsed.size()) && pod.slot >= 0) {
        m_slotsUsed[std::size_t(pod.node)][std::size_t(pod.slot)] = false;
    }
}

void RigNetwork::tearDown()
{
    // Pods first, the underlay last, so no veth ever dangles.
    for (auto it = m_namespaces.crbegin(); it != m_namespaces.crend(); ++it) {
        QString error;
        runIp({QStringLiteral("netns"), QStringLiteral("del"), *it}, {}, &error);
    }
    m_namespaces.clear();
    m_nodes.clear();
    m_slotsUsed.clear();
}

} // namespace podtap::sim
