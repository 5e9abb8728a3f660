// SPDX-License-Identifier: Apache-2.0
#include "agent_rig.h"
#include "common/privileged.h"
#include "common/process.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <unistd.h>

using namespace podtap::test;

/// @brief podtap-agent finds a CRI-O pod and tears down by itself when its console or its pod goes away.
class TestAgentLifecycle final : public QObject
{
    Q_OBJECT

    std::unique_ptr<AgentRig> m_rig;
    QTemporaryDir m_dir;

    QStringList mirrorArgs(const QStringList &extra) const
    {
        return QStringList {QStringLiteral("mirror"), QStringLiteral("--container-id"),
                   QStringLiteral("cri-o://") + m_rig->containerId(), QStringLiteral("--proc-root"), m_rig->procRoot(),
                   QStringLiteral("--vni"), QStringLiteral("900"), QStringLiteral("--remote"),
                   m_rig->receiverUnderlayIp()} +
            extra;
    }

    void verifyClean()
    {
        for (const QString &hook : {QStringLiteral("ingress"), QStringLiteral("egress")}) {
            QVERIFY2(!m_rig->podFilters(hook).contains(QStringLiteral("cookie")), qPrintable(m_rig->podFilters(hook)));
        }
        QVERIFY(!run({QStringLiteral("ip"), QStringLiteral("-n"), m_rig->podNs(), QStringLiteral("link"),
                         QStringLiteral("show"), QStringLiteral("ptap900")})
                     .ok());
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        m_rig = std::make_unique<AgentRig>(QStringLiteral("l%1").arg(::getpid()));
        AgentRigOptions options;
        options.runtime = AgentRigOptions::Runtime::Crio;
        QString error;
        QVERIFY2(m_rig->setUp(options, &error), qPrintable(error));
    }

    void findsCrioContainerAndPod()
    {
        auto agent = m_rig->startAgent(mirrorArgs({}));
        const QJsonObject ready = AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr);
        QVERIFY2(!ready.isEmpty(), agent->readAllStandardError().constData());
        QCOMPARE(ready.value(QStringLiteral("pid")).toInteger(), m_rig->podPid());
        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        const ProcessResult byUid = run(AgentRig::inNs(m_rig->nodeNs(),
            {AgentRig::agentPath(), QStringLiteral("inspect"), QStringLiteral("--pod-uid"), m_rig->podUid(),
                QStringLiteral("--proc-root"), m_rig->procRoot()}));
        QVERIFY2(byUid.ok(), qPrintable(byUid.describe({QStringLiteral("inspect")})));
        QVERIFY(byUid.out.contains("\"name\":\"eth0\""));
    }

    void refusesTheNodeNetns()
    {
        const ProcessResult result = run(AgentRig::inNs(m_rig->nodeNs(),
            {AgentRig::agentPath(), QStringLiteral("mirror"), QStringLiteral("--netns"), m_rig->nodeNs(),
                QStringLiteral("--vni"), QStringLiteral("5"), QStringLiteral("--remote"),
                m_rig->receiverUnderlayIp()}));
        QCOMPARE(result.exitCode, 3);
        QVERIFY2(result.err.contains("loop"), result.err.constData());
    }

    void kernelRefusalExitsFourAndLeavesNothing()
    {
        // --name eth0 collides with the pod's own interface: the kernel refuses the VXLAN device.
        const ProcessResult result = run(AgentRig::inNs(m_rig->nodeNs(),
            QStringList {AgentRig::agentPath()} + mirrorArgs({QStringLiteral("--name"), QStringLiteral("eth0")})));
        QCOMPARE(result.exitCode, 4);
        QVERIFY2(result.err.contains("create vxlan eth0") && result.err.contains("File exists") &&
                result.err.contains("in netns " + m_rig->procRoot().toUtf8()),
            result.err.constData());
        verifyClean();
        const QByteArray qdiscs = mustRun({QStringLiteral("tc"), QStringLiteral("-n"), m_rig->podNs(),
            QStringLiteral("qdisc"), QStringLiteral("show"), QStringLiteral("dev"), QStringLiteral("eth0")});
        QVERIFY(!qdiscs.contains("clsact"));
    }

    void receiverOwnsItsSourceFilter()
    {
        auto receiver = m_rig->startReceiver(4100, QStringLiteral("rxnft"));
        const QJsonObject ready = AgentRig::waitForEvent(*receiver, QStringLiteral("ready"), 10000, nullptr);
        QCOMPARE(ready.value(QStringLiteral("source_filter")).toString(), QStringLiteral("podtap-recv-rxnft"));
        const QStringList list = AgentRig::inNs(m_rig->receiverNs(),
            {QStringLiteral("nft"), QStringLiteral("list"), QStringLiteral("table"), QStringLiteral("inet"),
                QStringLiteral("podtap-recv-rxnft")});
        const ProcessResult table = run(list);
        QVERIFY2(table.ok() && table.out.contains(m_rig->nodeUnderlayIp().toUtf8()), qPrintable(table.describe(list)));
        QVERIFY(AgentRig::stop(*receiver, SIGTERM));
        QCOMPARE(receiver->exitCode(), 0);
        QVERIFY2(!run(list).ok(), "the receiver removes its nftables table");
        QVERIFY(!run({QStringLiteral("ip"), QStringLiteral("-n"), m_rig->receiverNs(), QStringLiteral("link"),
                         QStringLiteral("show"), QStringLiteral("rxnft")})
                     .ok());
    }

    void heartbeatLapseTearsDown()
    {
        const QString file = m_dir.filePath(QStringLiteral("annotations"));
        QFile annotations(file);
        QVERIFY(annotations.open(QIODevice::WriteOnly));
        annotations.write("podtap.io/session=\"s\"\npodtap.io/heartbeat=\"" +
            QDateTime::currentDateTimeUtc().toString(Qt::ISODate).toLatin1() + "\"\n");
        annotations.close();
        QElapsedTimer timer;
        timer.start();
        auto agent = m_rig->startAgent(mirrorArgs(
            {QStringLiteral("--heartbeat-file"), file, QStringLiteral("--heartbeat-timeout"), QStringLiteral("2")}));
        QVERIFY(!AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        const QJsonObject stopped = AgentRig::waitForEvent(*agent, QStringLiteral("stopped"), 10000, nullptr);
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("heartbeat"));
        QVERIFY(timer.elapsed() >= 2000);
        QVERIFY(agent->waitForFinished(5000));
        QCOMPARE(agent->exitCode(), 0);
        verifyClean();
    }

    void podGoneTearsDown()
    {
        auto agent = m_rig->startAgent(mirrorArgs({}));
        QVERIFY(!AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        m_rig->killPod(); // the pod's processes are gone; its named netns (and podtap's marks) still exist
        const QJsonObject stopped = AgentRig::waitForEvent(*agent, QStringLiteral("stopped"), 10000, nullptr);
        QCOMPARE(stopped.value(QStringLiteral("reason")).toString(), QStringLiteral("target-gone"));
        QVERIFY(agent->waitForFinished(5000));
        QCOMPARE(agent->exitCode(), 0);
        verifyClean();
    }

    void cleanupTestCase() { m_rig.reset(); }
};

QTEST_GUILESS_MAIN(TestAgentLifecycle)
#include "tst_agent_lifecycle.moc"
