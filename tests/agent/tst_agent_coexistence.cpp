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

/// @brief podtap-agent shares a pod with other tools and other podtap sessions, and survives kill -9.
class TestAgentCoexistence final : public QObject
{
    Q_OBJECT

    std::unique_ptr<AgentRig> m_rig;

    QStringList mirrorArgs(int vni, const QString &session) const
    {
        QStringList args = {QStringLiteral("mirror"), QStringLiteral("--pid"), QString::number(m_rig->podPid()),
            QStringLiteral("--vni"), QString::number(vni), QStringLiteral("--remote"), m_rig->receiverUnderlayIp()};
        if (!session.isEmpty()) {
            args << QStringLiteral("--session") << session;
        }
        return args;
    }

    /// podtap filters per hook and podtap devices, as `podtap-agent inspect` reports them.
    void countPodtap(int *ingress, int *egress, int *devices)
    {
        const QByteArray out = mustRun(AgentRig::inNs(m_rig->nodeNs(),
            {AgentRig::agentPath(), QStringLiteral("inspect"), QStringLiteral("--netns"), m_rig->podNs()}));
        const QJsonObject inspect = QJsonDocument::fromJson(out).object();
        *ingress = *egress = *devices = 0;
        for (const QJsonValue &f : inspect.value(QStringLiteral("filters")).toArray()) {
            const QJsonObject filter = f.toObject();
            if (filter.value(QStringLiteral("podtap")).toBool() &&
                filter.value(QStringLiteral("dev")) == QStringLiteral("eth0")) {
                ++(filter.value(QStringLiteral("hook")) == QStringLiteral("ingress") ? *ingress : *egress);
            }
        }
        for (const QJsonValue &l : inspect.value(QStringLiteral("links")).toArray()) {
            if (l.toObject().value(QStringLiteral("alias")).toString().startsWith(QStringLiteral("podtap session="))) {
                ++*devices;
            }
        }
    }

    /// Nothing at all stays on eth0's hooks: no filter, no empty u32 table, no clsact.
    bool hooksAreBare()
    {
        for (const QString &hook : {QStringLiteral("ingress"), QStringLiteral("egress")}) {
            const QString filters = m_rig->podFilters(hook);
            if (!filters.trimmed().isEmpty()) {
                qWarning().noquote() << hook << "filters left:" << filters;
                return false;
            }
        }
        const QByteArray qdiscs = mustRun({QStringLiteral("tc"), QStringLiteral("-n"), m_rig->podNs(),
            QStringLiteral("qdisc"), QStringLiteral("show"), QStringLiteral("dev"), QStringLiteral("eth0")});
        if (qdiscs.contains("clsact")) {
            qWarning().noquote() << "clsact left:" << qdiscs;
            return false;
        }
        return true;
    }

    void ping(int count)
    {
        mustRun(AgentRig::inNs(m_rig->podNs(),
            {QStringLiteral("ping"), QStringLiteral("-c"), QString::number(count), QStringLiteral("-i"),
                QStringLiteral("0.05"), AgentRig::nodePodSideIp()}));
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        m_rig = std::make_unique<AgentRig>(QStringLiteral("c%1").arg(::getpid()));
        QString error;
        QVERIFY2(m_rig->setUp(AgentRigOptions {}, &error), qPrintable(error));
    }

    void foreignFilterKeepsWorking()
    {
        // Another tool's clsact and u32+mirred filter at prio 10 (mirroring to fw0, counted on fw1).
        const QString ns = m_rig->podNs();
        for (const QString &step : {QStringLiteral("ip -n %1 link add fw0 type veth peer name fw1"),
                 QStringLiteral("ip -n %1 link set fw0 up"), QStringLiteral("ip -n %1 link set fw1 up"),
                 QStringLiteral("tc -n %1 qdisc add dev eth0 clsact"),
                 QStringLiteral("tc -n %1 filter add dev eth0 egress prio 10 u32 match u32 0 0 action mirred egress "
                                "mirror dev fw0")}) {
            mustRun(step.arg(ns).split(QLatin1Char(' ')));
        }
        auto receiver = m_rig->startReceiver(600, QStringLiteral("rxf"));
        QVERIFY(!AgentRig::waitForEvent(*receiver, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        auto agent = m_rig->startAgent(mirrorArgs(600, {}));
        const QJsonObject ready = AgentRig::waitForEvent(*agent, QStringLiteral("ready"), 10000, nullptr);
        QVERIFY2(!ready.isEmpty(), agent->readAllStandardError().constData());
        QVERIFY(!ready.value(QStringLiteral("clsact_added")).toBool());
        const int prio = ready.value(QStringLiteral("priorities")).toObject().value(QStringLiteral("egress")).toInt();
        QVERIFY2(prio > 0 && prio < 10, "podtap's filter must run before the foreign one");

        QString error;
        RigCapture capture = m_rig->startCapture(QStringLiteral("rxf"), &error);
        QVERIFY2(capture.process, qPrintable(error));
        const qint64 before = AgentRig::rxCounter(m_rig->podNs(), QStringLiteral("fw1"));
        ping(5);
        const QList<QStringList> rows = m_rig->finishCapture(capture, {QStringLiteral("icmp.type")});
        QVERIFY2(AgentRig::rxCounter(m_rig->podNs(), QStringLiteral("fw1")) - before >= 5,
            "the foreign mirror sees every echo request");
        QVERIFY2(rows.count(QStringList {QStringLiteral("8")}) >= 5, "podtap's mirror sees every echo request");

        QVERIFY(AgentRig::stop(*agent, SIGTERM));
        QCOMPARE(agent->exitCode(), 0);
        QVERIFY(AgentRig::stop(*receiver, SIGTERM));
        const QString filters = m_rig->podFilters(QStringLiteral("egress"));
        QVERIFY2(filters.contains(QStringLiteral("pref 10 u32")) && filters.contains(QStringLiteral("fw0")),
            qPrintable(filters));
        QVERIFY2(!filters.contains(QStringLiteral("cookie")), qPrintable(filters));
        const qint64 after = AgentRig::rxCounter(m_rig->podNs(), QStringLiteral("fw1"));
        ping(5);
        QVERIFY2(AgentRig::rxCounter(m_rig->podNs(), QStringLiteral("fw1")) - after >= 5,
            "the foreign mirror still works after teardown");
        mustRun(QStringLiteral("tc -n %1 qdisc del dev eth0 clsact").arg(ns).split(QLatin1Char(' ')));
        mustRun(QStringLiteral("ip -n %1 link del fw0").arg(ns).split(QLatin1Char(' ')));
    }

    void twoSessionsOnOnePod()
    {
        // Both agents start at the same moment, so they may choose a priority from one snapshot; rounds
        // give the race its chances. Each hook must list exactly the two sessions' filters.
        for (int round = 0; round < 4; ++round) {
            const int vni = 700 + 2 * round;
            auto a = m_rig->startAgent(mirrorArgs(vni, QStringLiteral("sess-a")));
            auto b = m_rig->startAgent(mirrorArgs(vni + 1, QStringLiteral("sess-b")));
            QVERIFY2(!AgentRig::waitForEvent(*a, QStringLiteral("ready"), 10000, nullptr).isEmpty(),
                a->readAllStandardError().constData());
            QVERIFY2(!AgentRig::waitForEvent(*b, QStringLiteral("ready"), 10000, nullptr).isEmpty(),
                b->readAllStandardError().constData());
            int ingress = 0, egress = 0, devices = 0;
            countPodtap(&ingress, &egress, &devices);
            QCOMPARE(ingress, 2);
            QCOMPARE(egress, 2);
            QCOMPARE(devices, 2);
            // Either may have added clsact; either ends first: the one that stays takes over its removal.
            const bool aFirst = round % 2 == 0;
            QVERIFY(AgentRig::stop(aFirst ? *a : *b, SIGTERM));
            countPodtap(&ingress, &egress, &devices);
            QCOMPARE(ingress, 1); // the other session is untouched by the first one's teardown
            QCOMPARE(egress, 1);
            QCOMPARE(devices, 1);
            QVERIFY(run({QStringLiteral("ip"), QStringLiteral("-n"), m_rig->podNs(), QStringLiteral("link"),
                            QStringLiteral("show"), QStringLiteral("ptap%1").arg(aFirst ? vni + 1 : vni)})
                        .ok());
            QVERIFY(AgentRig::stop(aFirst ? *b : *a, SIGTERM));
            countPodtap(&ingress, &egress, &devices);
            QCOMPARE(ingress + egress + devices, 0);
            QVERIFY(hooksAreBare());
        }
    }

    void killNineThenRestartLeavesOneFilterPerHook()
    {
        auto first = m_rig->startAgent(mirrorArgs(800, QStringLiteral("sess-k")));
        QVERIFY(!AgentRig::waitForEvent(*first, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        auto other = m_rig->startAgent(mirrorArgs(801, QStringLiteral("sess-other")));
        QVERIFY(!AgentRig::waitForEvent(*other, QStringLiteral("ready"), 10000, nullptr).isEmpty());
        QVERIFY(AgentRig::stop(*first, SIGKILL));
        int ingress = 0, egress = 0, devices = 0;
        countPodtap(&ingress, &egress, &devices);
        QCOMPARE(devices, 2); // kill -9 leaves its marks behind

        auto second = m_rig->startAgent(mirrorArgs(800, QStringLiteral("sess-k")));
        QVERIFY2(!AgentRig::waitForEvent(*second, QStringLiteral("ready"), 10000, nullptr).isEmpty(),
            second->readAllStandardError().constData());
        QVERIFY(AgentRig::stop(*other, SIGTERM)); // leaves exactly the restarted session
        countPodtap(&ingress, &egress, &devices);
        QCOMPARE(ingress, 1);
        QCOMPARE(egress, 1);
        QCOMPARE(devices, 1);
        QVERIFY(AgentRig::stop(*second, SIGKILL));

        // cleanup removes what a dead agent left.
        const QByteArray out = mustRun(AgentRig::inNs(m_rig->nodeNs(),
            {AgentRig::agentPath(), QStringLiteral("cleanup"), QStringLiteral("--pid"),
                QString::number(m_rig->podPid())}));
        const QJsonObject cleaned = QJsonDocument::fromJson(out).object();
        QCOMPARE(cleaned.value(QStringLiteral("filters_removed")).toInt(), 2);
        QCOMPARE(cleaned.value(QStringLiteral("devices_removed")).toInt(), 1);
        countPodtap(&ingress, &egress, &devices);
        QCOMPARE(ingress + egress + devices, 0);
        QVERIFY(hooksAreBare()); // the clsact duty passed from session to session and ended with cleanup
    }

    void cleanupTestCase() { m_rig.reset(); }
};

QTEST_GUILESS_MAIN(TestAgentCoexistence)
#include "tst_agent_coexistence.moc"
