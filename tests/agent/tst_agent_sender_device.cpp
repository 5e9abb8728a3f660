// SPDX-License-Identifier: Apache-2.0
#include "agent_rig.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QDeadlineTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <csignal>
#include <unistd.h>

using namespace podtap::test;

namespace {

/// Stops a still running agent with SIGTERM when a check failed half-way, so it removes what it added.
struct StopOnExit
{
    QProcess *process = nullptr;
    ~StopOnExit()
    {
        if (process && process->state() != QProcess::NotRunning) {
            AgentRig::stop(*process, SIGTERM);
        }
    }
};

constexpr int kVni = 4600;
const QString kDevice = QStringLiteral("ptap4600");
constexpr int kListenPort = 7777;

// Sends crafted VXLAN packets (VNI, then one inner Ethernet frame each) to the node's tunnel port, as
// any host on the underlay can. argv: node IP, port, VNI, the sender device's MAC.
const char *const kInjector = R"PY(
import socket, struct, sys
node, port, vni = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
devmac = bytes.fromhex(sys.argv[4].replace(':', ''))
def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
def udp4(src, dst, sport, dport, payload):
    u = struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(u), 1, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return ip[:10] + struct.pack('!H', csum(ip)) + ip[12:] + u
def udp6(src, dst, sport, dport, payload):
    s = socket.inet_pton(socket.AF_INET6, src)
    d = socket.inet_pton(socket.AF_INET6, dst)
    n = 8 + len(payload)
    u = struct.pack('!HHHH', sport, dport, n, 0) + payload
    c = csum(s + d + struct.pack('!IxxxB', n, 17) + u) or 0xffff
    return struct.pack('!IHBB', 0x60000000, n, 17, 64) + s + d + u[:6] + struct.pack('!H', c) + u[8:]
frames = [
    (devmac, 0x0800, udp4('203.0.113.7', '192.0.2.2', 40000, 7777, b'inj-v4-unicast')),
    (b'\xff' * 6, 0x0800, udp4('0.0.0.0', '255.255.255.255', 68, 7777, b'inj-v4-broadcast')),
    (bytes.fromhex('333300000001'), 0x86dd, udp6('fe80::99', 'ff02::1', 40000, 7777, b'inj-v6-linklocal')),
    (devmac, 0x86dd, udp6('2001:db8:9::7', '2001:db8:2::2', 40000, 7777, b'inj-v6-global')),
]
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for dst, ethertype, packet in frames:
    header = struct.pack('!B3xI', 0x08, vni << 8)
    sock.sendto(header + dst + bytes.fromhex('02aabbccdd01') + struct.pack('!H', ethertype) + packet, (node, port))
print(len(frames))
)PY";

// Every datagram any IPv4 or IPv6 UDP socket in the pod receives on the port, one line each.
const char *const kListener = R"PY(
import select, socket, sys
port = int(sys.argv[1])
s4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s4.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
s4.bind(('0.0.0.0', port))
s6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s6.bind(('::', port))
print('listening', flush=True)
while True:
    readable, _, _ = select.select([s4, s6], [], [])
    for s in readable:
        data, peer = s.recvfrom(4096)
        print(data.decode('ascii', 'replace').strip(), peer[0], flush=True)
)PY";

/// Reads lines from @p listener until one contains @p marker; every line read goes to @p lines.
bool waitForLine(QProcess &listener, const QByteArray &marker, int timeoutMs, QList<QByteArray> *lines)
{
    QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        while (listener.canReadLine()) {
            const QByteArray line = listener.readLine().trimmed();
            lines->append(line);
            if (line.contains(marker)) {
                return true;
            }
        }
        if (deadline.hasExpired() || listener.state() != QProcess::Running) {
            return false;
        }
        listener.waitForReadyRead(100);
    }
}

} // namespace

/// @brief The VXLAN device podtap puts into the pod decapsulates for anyone who knows the VNI: nothing
/// it receives may reach the pod's stack, it holds no address, and a change to it ends the tap.
class TestAgentSenderDevice final : public QObject
{
    Q_OBJECT

    std::unique_ptr<AgentRig> m_rig;

    /// Starts the agent as it runs in its pod: /proc/sys is read-only there, so turning IPv6 off on the
    /// device through sysctl is not available and cannot be what protects the pod.
    std::unique_ptr<QProcess> startSender(QList<QJsonObject> *seen)
    {
        auto agent = std::make_unique<QProcess>();
        const QStringList args = {QStringLiteral("mirror"), QStringLiteral("--container-id"),
            QStringLiteral("containerd://") + m_rig->containerId(), QStringLiteral("--proc-root"), m_rig->procRoot(),
            QStringLiteral("--vni"), QString::number(kVni), QStringLiteral("--remote"), m_rig->receiverUnderlayIp(),
            QStringLiteral("--stats-interval"), QStringLiteral("0")};
        const QStringList command = AgentRig::inNs(m_rig->nodeNs(),
            QStringList {QStringLiteral("unshare"), QStringLiteral("--mount"), QStringLiteral("--propagation"),
                QStringLiteral("private"), QStringLiteral("bash"), QStringLiteral("-c"),
                QStringLiteral("mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && "
                               "exec \"$0\" \"$@\""),
                AgentRig::agentPath()} +
                args);
        agent->start(command.first(), command.mid(1));
        agent->waitForStarted(5000);
        const QJsonObject ready = AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, seen);
        if (ready.isEmpty()) {
            qWarning("agent did not get ready: %s", agent->readAllStandardError().constData());
            return {};
        }
        if (agent->waitForFinished(300)) {
            qWarning("agent stopped right after ready: %s %s", agent->readAllStandardOutput().constData(),
                agent->readAllStandardError().constData());
            return {};
        }
        return agent;
    }

    void verifyNothingLeft()
    {
        for (const QString &hook : {QStringLiteral("ingress"), QStringLiteral("egress")}) {
            QVERIFY2(!m_rig->podFilters(hook).contains(QStringLiteral("cookie")), qPrintable(m_rig->podFilters(hook)));
        }
        QVERIFY2(!AgentRig::linkExists(m_rig->podNs(), kDevice), "the VXLAN device must be gone");
        const QByteArray qdiscs = mustRun({QStringLiteral("tc"), QStringLiteral("-n"), m_rig->podNs(),
            QStringLiteral("qdisc"), QStringLiteral("show"), QStringLiteral("dev"), QStringLiteral("eth0")});
        QVERIFY2(!qdiscs.contains("clsact"), qdiscs.constData());
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        m_rig = std::make_unique<AgentRig>(QStringLiteral("d%1").arg(::getpid()));
        QString error;
        QVERIFY2(m_rig->setUp(AgentRigOptions {}, &error), qPrintable(error));
        // IPv6 between node and pod, for the global-address case and its control packet.
        mustRun({QStringLiteral("ip"), QStringLiteral("-n"), m_rig->podNs(), QStringLiteral("addr"),
            QStringLiteral("add"), QStringLiteral("2001:db8:2::2/64"), QStringLiteral("dev"), QStringLiteral("eth0"),
            QStringLiteral("nodad")});
        mustRun({QStringLiteral("ip"), QStringLiteral("-n"), m_rig->nodeNs(), QStringLiteral("addr"),
            QStringLiteral("add"), QStringLiteral("2001:db8:2::1/64"), QStringLiteral("dev"), QStringLiteral("vpod"),
            QStringLiteral("nodad")});
    }

    void deviceHasNoAddressAndDropsItsIngress()
    {
        QList<QJsonObject> seen;
        auto agent = startSender(&seen);
        QVERIFY(agent);
        const StopOnExit guard {agent.get()};
        const QJsonObject details = AgentRig::linkDetails(m_rig->podNs(), kDevice);
        const QByteArray addresses = mustRun({QStringLiteral("ip"), QStringLiteral("-n"), m_rig->podNs(),
            QStringLiteral("-j"), QStringLiteral("addr"), QStringLiteral("show"), QStringLiteral("dev"), kDevice});
        const QJsonArray addrInfo =
            QJsonDocument::fromJson(addresses).array().at(0).toObject().value(QStringLiteral("addr_info")).toArray();
        QVERIFY2(addrInfo.isEmpty(), addresses.constData());
        QCOMPARE(details.value(QStringLiteral("inet6_addr_gen_mode")).toString(), QStringLiteral("none"));
        const QByteArray ingress =
            mustRun({QStringLiteral("tc"), QStringLiteral("-n"), m_rig->podNs(), QStringLiteral("filter"),
                QStringLiteral("show"), QStringLiteral("dev"), kDevice, QStringLiteral("ingress")});
        QVERIFY2(ingress.contains("bpf") && ingress.contains("direct-action"), ingress.constData());
        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        QCOMPARE(agent->exitCode(), 0);
        verifyNothingLeft();
    }

    void injectedVxlanReachesNoPodSocket()
    {
        QProcess listener;
        const QStringList listen = AgentRig::inNs(m_rig->podNs(),
            {QStringLiteral("python3"), QStringLiteral("-c"), QString::fromLatin1(kListener),
                QString::number(kListenPort)});
        listener.start(listen.first(), listen.mid(1));
        QVERIFY(listener.waitForStarted(5000));
        QList<QByteArray> lines;
        QVERIFY2(waitForLine(listener, "listening", 10000, &lines), listener.readAllStandardError().constData());

        QList<QJsonObject> seen;
        auto agent = startSender(&seen);
        QVERIFY(agent);
        const StopOnExit guard {agent.get()};
        // Controls: the listener hears the pod's ordinary traffic on both families.
        QVERIFY(AgentRig::bashIn(m_rig->nodeNs(), QStringLiteral("echo control-v4 > /dev/udp/192.0.2.2/7777")));
        QVERIFY2(waitForLine(listener, "control-v4", 5000, &lines), lines.join(" | ").constData());
        QVERIFY(AgentRig::bashIn(m_rig->nodeNs(), QStringLiteral("echo control-v6 > /dev/udp/2001:db8:2::2/7777")));
        QVERIFY2(waitForLine(listener, "control-v6", 5000, &lines), lines.join(" | ").constData());

        const QString mac = AgentRig::linkDetails(m_rig->podNs(), kDevice).value(QStringLiteral("address")).toString();
        QVERIFY(!mac.isEmpty());
        const qint64 rxBefore = AgentRig::rxCounter(m_rig->podNs(), kDevice);
        // From a third netns on the underlay: the receiver's, which is not the tunnel's remote end here.
        const ProcessResult injected = run(AgentRig::inNs(m_rig->receiverNs(),
            {QStringLiteral("python3"), QStringLiteral("-c"), QString::fromLatin1(kInjector), m_rig->nodeUnderlayIp(),
                QStringLiteral("4789"), QString::number(kVni), mac}));
        QVERIFY2(injected.ok(), qPrintable(injected.describe({QStringLiteral("inject")})));

        // A last control, sent after the injected packets: once it is heard, they were processed too.
        QVERIFY(
            AgentRig::bashIn(m_rig->nodeNs(), QStringLiteral("sleep 0.3; echo control-end > /dev/udp/192.0.2.2/7777")));
        QVERIFY2(waitForLine(listener, "control-end", 5000, &lines), lines.join(" | ").constData());
        const qint64 rxAfter = AgentRig::rxCounter(m_rig->podNs(), kDevice);
        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        listener.kill();
        listener.waitForFinished(5000);

        // The packets did reach the device (it decapsulated them) ...
        QVERIFY2(rxAfter - rxBefore >= 4, qPrintable(QStringLiteral("device rx %1 -> %2").arg(rxBefore).arg(rxAfter)));
        // ... and no socket in the pod received any of them.
        QStringList injectedLines;
        for (const QByteArray &line : lines) {
            if (line.startsWith("inj-")) {
                injectedLines << QString::fromLatin1(line);
            }
        }
        QVERIFY2(injectedLines.isEmpty(),
            qPrintable(
                QStringLiteral("pod sockets received injected packets: ") + injectedLines.join(QStringLiteral("; "))));
        QCOMPARE(agent->exitCode(), 0);
        verifyNothingLeft();
    }

    void changeToTheDeviceTearsDown_data()
    {
        QTest::addColumn<QStringList>("change"); // an `ip -n <pod ns> link ...` command
        QTest::addColumn<QString>("mentions");
        QTest::newRow("remote rewritten")
            << QStringList {QStringLiteral("set"), kDevice, QStringLiteral("type"), QStringLiteral("vxlan"),
                   QStringLiteral("remote"), QStringLiteral("203.0.113.9")}
            << QStringLiteral("remote");
        QTest::newRow("set down") << QStringList {QStringLiteral("set"), kDevice, QStringLiteral("down")}
                                  << QStringLiteral("down");
        QTest::newRow("deleted") << QStringList {QStringLiteral("delete"), kDevice} << QStringLiteral("deleted");
    }

    void changeToTheDeviceTearsDown()
    {
        // A pod with NET_ADMIN can rewrite the device that lives in its netns, e.g. aim it elsewhere.
        QFETCH(QStringList, change);
        QFETCH(QString, mentions);
        QList<QJsonObject> seen;
        auto agent = startSender(&seen);
        QVERIFY(agent);
        const StopOnExit guard {agent.get()};
        // Another podtap session's hand-over (the alias) is no change to the tunnel.
        mustRun({QStringLiteral("ip"), QStringLiteral("-n"), m_rig->podNs(), QStringLiteral("link"),
            QStringLiteral("set"), kDevice, QStringLiteral("alias"),
            AgentRig::linkDetails(m_rig->podNs(), kDevice).value(QStringLiteral("ifalias")).toString()});
        QVERIFY(!agent->waitForFinished(1500));

        mustRun(
            QStringList {QStringLiteral("ip"), QStringLiteral("-n"), m_rig->podNs(), QStringLiteral("link")} + change);
        const QJsonObject error = AgentRig::waitForEvent(*agent, QStringLiteral("error"), 10000, &seen);
        QVERIFY2(!error.isEmpty(), agent->readAllStandardError().constData());
        const QString message = error.value(QStringLiteral("message")).toString();
        QVERIFY2(message.contains(kDevice) && message.contains(mentions), qPrintable(message));
        QCOMPARE(error.value(QStringLiteral("code")).toString(), QStringLiteral("device-changed"));
        const QJsonObject stopped = AgentRig::waitForEvent(*agent, QStringLiteral("stopped"), 10000, &seen);
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("device-changed"));
        QVERIFY(agent->waitForFinished(10000));
        QCOMPARE(agent->exitStatus(), QProcess::NormalExit);
        // Exit 0: a restartPolicy OnFailure must not bring the mirror back into a pod that tampers with it.
        QCOMPARE(agent->exitCode(), 0);
        verifyNothingLeft();
    }

    void cleanupTestCase() { m_rig.reset(); }
};

QTEST_GUILESS_MAIN(TestAgentSenderDevice)
#include "tst_agent_sender_device.moc"
