// SPDX-License-Identifier: Apache-2.0
#include "agent_rig.h"
#include "support/privileged.h"
#include "support/process.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <csignal>
#include <unistd.h>

using namespace podtap::test;

namespace {

constexpr int kVni = 4700;
constexpr int kEgressVni = 4701;
const QString kDevice = QStringLiteral("ptap4700");
const QString kEgressDevice = QStringLiteral("ptap4700e");
const QStringList kFields = {QStringLiteral("ip.src"), QStringLiteral("ip.dst"), QStringLiteral("udp.dstport")};

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

/// The plain UDP datagrams from @p source to @p port (an ICMP error quoting one lists two addresses).
int countUdp(const QList<QStringList> &rows, const QString &source, const QString &port)
{
    int n = 0;
    for (const QStringList &row : rows) {
        n += row.value(0) == source && row.value(2) == port ? 1 : 0;
    }
    return n;
}

QString dump(const QList<QStringList> &rows)
{
    QStringList lines;
    for (const QStringList &row : rows) {
        lines << row.join(QLatin1Char(' '));
    }
    return QStringLiteral("captured: ") + lines.join(QStringLiteral("; "));
}

} // namespace

/// @brief With --egress-vni the agent sends each hook's frames through its own VXLAN device, so a receiver
/// tells the direction from the VNI; the second device is hardened, marked and removed like the first.
class TestAgentEgressVni final : public QObject
{
    Q_OBJECT

    std::unique_ptr<AgentRig> m_rig;
    std::unique_ptr<QProcess> m_ingressReceiver;
    std::unique_ptr<QProcess> m_egressReceiver;

    QStringList mirrorArgs(int egressVni = kEgressVni) const
    {
        return {QStringLiteral("mirror"), QStringLiteral("--container-id"),
            QStringLiteral("containerd://") + m_rig->containerId(), QStringLiteral("--proc-root"), m_rig->procRoot(),
            QStringLiteral("--vni"), QString::number(kVni), QStringLiteral("--egress-vni"), QString::number(egressVni),
            QStringLiteral("--remote"), m_rig->receiverUnderlayIp(), QStringLiteral("--session"),
            QStringLiteral("egress-test"), QStringLiteral("--stats-interval"), QStringLiteral("1")};
    }

    std::unique_ptr<QProcess> startMirror(QJsonObject *ready, QList<QJsonObject> *seen)
    {
        auto agent = m_rig->startAgent(mirrorArgs());
        *ready = AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, seen);
        return agent;
    }

    void verifyNothingLeft()
    {
        for (const QString &hook : {QStringLiteral("ingress"), QStringLiteral("egress")}) {
            QVERIFY2(!m_rig->podFilters(hook).contains(QStringLiteral("cookie")), qPrintable(m_rig->podFilters(hook)));
        }
        QVERIFY2(!AgentRig::linkExists(m_rig->podNs(), kDevice), "the ingress VXLAN device must be gone");
        QVERIFY2(!AgentRig::linkExists(m_rig->podNs(), kEgressDevice), "the egress VXLAN device must be gone");
        const QByteArray qdiscs = mustRun({QStringLiteral("tc"), QStringLiteral("-n"), m_rig->podNs(),
            QStringLiteral("qdisc"), QStringLiteral("show"), QStringLiteral("dev"), QStringLiteral("eth0")});
        QVERIFY2(!qdiscs.contains("clsact"), qdiscs.constData());
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        QVERIFY2(QFileInfo::exists(AgentRig::agentPath()), qPrintable(AgentRig::agentPath()));
        m_rig = std::make_unique<AgentRig>(QStringLiteral("e%1").arg(::getpid()));
        QString error;
        QVERIFY2(m_rig->setUp(AgentRigOptions {}, &error), qPrintable(error));
        // One kernel receiver per VNI: what arrives on each tells which device (VNI) a frame was sent with.
        m_ingressReceiver = m_rig->startReceiver(kVni, QStringLiteral("rxi"));
        QVERIFY2(!AgentRig::waitForEvent(*m_ingressReceiver, QStringLiteral("ready"), 10000, nullptr).isEmpty(),
            m_ingressReceiver->readAllStandardError().constData());
        m_egressReceiver = m_rig->startReceiver(kEgressVni, QStringLiteral("rxe"));
        QVERIFY2(!AgentRig::waitForEvent(*m_egressReceiver, QStringLiteral("ready"), 10000, nullptr).isEmpty(),
            m_egressReceiver->readAllStandardError().constData());
    }

    void eachHookHasItsOwnVni()
    {
        QList<QJsonObject> seen;
        QJsonObject ready;
        auto agent = startMirror(&ready, &seen);
        const StopOnExit guard {agent.get()};
        QVERIFY2(!ready.isEmpty(), agent->readAllStandardError().constData());
        QCOMPARE(ready.value(QStringLiteral("device")).toString(), kDevice);
        QCOMPARE(ready.value(QStringLiteral("vni")).toInt(), kVni);
        QCOMPARE(ready.value(QStringLiteral("egress_device")).toString(), kEgressDevice);
        QCOMPARE(ready.value(QStringLiteral("egress_vni")).toInt(), kEgressVni);
        QVERIFY(ready.value(QStringLiteral("egress_ifindex")).toInt() > 0);
        QVERIFY(
            ready.value(QStringLiteral("egress_ifindex")).toInt() != ready.value(QStringLiteral("ifindex")).toInt());
        QCOMPARE(ready.value(QStringLiteral("contract")).toInt(), 2);

        // The second device carries the same hardening as the first.
        for (const auto &[device, vni] : {std::pair {kDevice, kVni}, std::pair {kEgressDevice, kEgressVni}}) {
            const QJsonObject details = AgentRig::linkDetails(m_rig->podNs(), device);
            const QJsonObject data =
                details.value(QStringLiteral("linkinfo")).toObject().value(QStringLiteral("info_data")).toObject();
            QCOMPARE(data.value(QStringLiteral("id")).toInt(), vni);
            QCOMPARE(details.value(QStringLiteral("inet6_addr_gen_mode")).toString(), QStringLiteral("none"));
            QVERIFY2(details.value(QStringLiteral("ifalias"))
                         .toString()
                         .startsWith(QStringLiteral("podtap session=egress-test")),
                qPrintable(details.value(QStringLiteral("ifalias")).toString()));
            const QByteArray addresses = mustRun({QStringLiteral("ip"), QStringLiteral("-n"), m_rig->podNs(),
                QStringLiteral("-j"), QStringLiteral("addr"), QStringLiteral("show"), QStringLiteral("dev"), device});
            QVERIFY2(QJsonDocument::fromJson(addresses)
                         .array()
                         .at(0)
                         .toObject()
                         .value(QStringLiteral("addr_info"))
                         .toArray()
                         .isEmpty(),
                addresses.constData());
            const QByteArray drop =
                mustRun({QStringLiteral("tc"), QStringLiteral("-n"), m_rig->podNs(), QStringLiteral("filter"),
                    QStringLiteral("show"), QStringLiteral("dev"), device, QStringLiteral("ingress")});
            QVERIFY2(drop.contains("bpf") && drop.contains("direct-action"), drop.constData());
        }

        QString error;
        RigCapture ingressCapture = m_rig->startCapture(QStringLiteral("rxi"), &error);
        QVERIFY2(ingressCapture.process, qPrintable(error));
        RigCapture egressCapture = m_rig->startCapture(QStringLiteral("rxe"), &error);
        QVERIFY2(egressCapture.process, qPrintable(error));
        // To the pod (its ingress) on port 5002, from the pod (its egress) on port 5001.
        AgentRig::bashIn(m_rig->nodeNs(), QStringLiteral("for i in 1 2 3; do echo x > /dev/udp/192.0.2.2/5002; done"));
        AgentRig::bashIn(m_rig->podNs(), QStringLiteral("for i in 1 2 3; do echo x > /dev/udp/192.0.2.1/5001; done"));
        const QList<QStringList> ingressRows = m_rig->finishCapture(ingressCapture, kFields);
        const QList<QStringList> egressRows = m_rig->finishCapture(egressCapture, kFields);

        const QString node = AgentRig::nodePodSideIp();
        const QString pod = AgentRig::podIp();
        QVERIFY2(countUdp(ingressRows, node, QStringLiteral("5002")) >= 3, qPrintable(dump(ingressRows)));
        QVERIFY2(countUdp(ingressRows, pod, QStringLiteral("5001")) == 0, qPrintable(dump(ingressRows)));
        QVERIFY2(countUdp(egressRows, pod, QStringLiteral("5001")) >= 3, qPrintable(dump(egressRows)));
        QVERIFY2(countUdp(egressRows, node, QStringLiteral("5002")) == 0, qPrintable(dump(egressRows)));

        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        QCOMPARE(agent->exitCode(), 0);
        const QJsonObject stopped = AgentRig::waitForEvent(*agent, QStringLiteral("stopped"), 1000, &seen);
        QCOMPARE(stopped.value(QStringLiteral("egress_device")).toString(), kEgressDevice);
        // The per-hook counters stay as they were: one filter per hook, whichever device it sends to.
        QVERIFY(stopped.value(QStringLiteral("ingress_packets")).toInteger() >= 3);
        QVERIFY(stopped.value(QStringLiteral("egress_packets")).toInteger() >= 3);
        verifyNothingLeft();
    }

    void killedAgentLeavesBothDevicesForRestartAndCleanup()
    {
        QList<QJsonObject> seen;
        QJsonObject ready;
        auto agent = startMirror(&ready, &seen);
        QVERIFY2(!ready.isEmpty(), agent->readAllStandardError().constData());
        QVERIFY(AgentRig::stop(*agent, SIGKILL));
        QVERIFY(AgentRig::linkExists(m_rig->podNs(), kDevice));
        QVERIFY(AgentRig::linkExists(m_rig->podNs(), kEgressDevice));

        // A restarted agent of the same session removes both leftovers and installs afresh.
        seen.clear();
        auto restarted = startMirror(&ready, &seen);
        QVERIFY2(!ready.isEmpty(), restarted->readAllStandardError().constData());
        QVERIFY(AgentRig::stop(*restarted, SIGKILL));
        QVERIFY(AgentRig::linkExists(m_rig->podNs(), kEgressDevice));

        const ProcessResult cleanup = run(AgentRig::inNs(m_rig->nodeNs(),
            {AgentRig::agentPath(), QStringLiteral("cleanup"), QStringLiteral("--container-id"),
                QStringLiteral("containerd://") + m_rig->containerId(), QStringLiteral("--proc-root"),
                m_rig->procRoot(), QStringLiteral("--session"), QStringLiteral("egress-test")}));
        QVERIFY2(cleanup.ok(), qPrintable(cleanup.describe({QStringLiteral("cleanup")})));
        verifyNothingLeft();
    }

    void changeToTheEgressDeviceTearsDown()
    {
        QList<QJsonObject> seen;
        QJsonObject ready;
        auto agent = startMirror(&ready, &seen);
        const StopOnExit guard {agent.get()};
        QVERIFY2(!ready.isEmpty(), agent->readAllStandardError().constData());
        QVERIFY(!agent->waitForFinished(1500));
        mustRun({QStringLiteral("ip"), QStringLiteral("-n"), m_rig->podNs(), QStringLiteral("link"),
            QStringLiteral("set"), kEgressDevice, QStringLiteral("type"), QStringLiteral("vxlan"),
            QStringLiteral("remote"), QStringLiteral("203.0.113.9")});
        const QJsonObject error = AgentRig::waitForEvent(*agent, QStringLiteral("error"), 10000, &seen);
        QVERIFY2(!error.isEmpty(), agent->readAllStandardError().constData());
        QCOMPARE(error.value(QStringLiteral("code")).toString(), QStringLiteral("device-changed"));
        const QString message = error.value(QStringLiteral("message")).toString();
        QVERIFY2(message.contains(kEgressDevice) && message.contains(QStringLiteral("remote")), qPrintable(message));
        const QJsonObject stopped = AgentRig::waitForEvent(*agent, QStringLiteral("stopped"), 10000, &seen);
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("device-changed"));
        QVERIFY(agent->waitForFinished(10000));
        QCOMPARE(agent->exitCode(), 0);
        verifyNothingLeft();
    }

    void clsactDutyPassesToAnotherSessionNotToTheEgressDevice()
    {
        // This session adds clsact; a second session taps the same pod meanwhile. When the first ends, the
        // duty to remove clsact must go to the second session's device, not to the first's own egress
        // device that is deleted right after (then clsact would outlive both sessions).
        QList<QJsonObject> seen;
        QJsonObject ready;
        auto first = startMirror(&ready, &seen);
        const StopOnExit firstGuard {first.get()};
        QVERIFY2(!ready.isEmpty(), first->readAllStandardError().constData());
        QVERIFY(ready.value(QStringLiteral("clsact_added")).toBool());
        auto second = m_rig->startAgent({QStringLiteral("mirror"), QStringLiteral("--container-id"),
            QStringLiteral("containerd://") + m_rig->containerId(), QStringLiteral("--proc-root"), m_rig->procRoot(),
            QStringLiteral("--vni"), QStringLiteral("4702"), QStringLiteral("--remote"), m_rig->receiverUnderlayIp(),
            QStringLiteral("--session"), QStringLiteral("other"), QStringLiteral("--stats-interval"),
            QStringLiteral("0")});
        const StopOnExit secondGuard {second.get()};
        QVERIFY2(!AgentRig::waitForEvent(*second, QStringLiteral("ready"), 10000, nullptr).isEmpty(),
            second->readAllStandardError().constData());

        QVERIFY(AgentRig::stop(*first, SIGTERM));
        QCOMPARE(first->exitCode(), 0);
        QVERIFY(!AgentRig::linkExists(m_rig->podNs(), kEgressDevice));
        const QString alias = AgentRig::linkDetails(m_rig->podNs(), QStringLiteral("ptap4702"))
                                  .value(QStringLiteral("ifalias"))
                                  .toString();
        QVERIFY2(alias.contains(QStringLiteral("clsact=eth0")), qPrintable(alias));
        QVERIFY(AgentRig::stop(*second, SIGTERM));
        QCOMPARE(second->exitCode(), 0);
        verifyNothingLeft();
    }

    void equalVnisAreAUsageError()
    {
        const ProcessResult result =
            run(AgentRig::inNs(m_rig->nodeNs(), QStringList {AgentRig::agentPath()} + mirrorArgs(kVni)));
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains("equals --vni"), result.err.constData());
        // Nothing was created for it.
        QVERIFY(!AgentRig::linkExists(m_rig->podNs(), kDevice));
        QVERIFY(!AgentRig::linkExists(m_rig->podNs(), kEgressDevice));
    }

    void cleanupTestCase()
    {
        for (auto *receiver : {m_ingressReceiver.get(), m_egressReceiver.get()}) {
            if (receiver) {
                AgentRig::stop(*receiver, SIGTERM);
            }
        }
        m_rig.reset();
    }
};

QTEST_GUILESS_MAIN(TestAgentEgressVni)
#include "tst_agent_egress_vni.moc"
