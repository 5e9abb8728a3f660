// SPDX-License-Identifier: Apache-2.0
// SessionSweeper and `podtapctl sweep/list/stop` against podtap-sim: one set of rules, heartbeat ages
// on the API server's clock.
#include "sim_fixture.h"

#include "kube/kube_client.h"
#include "tap/agent_pod_spec.h"
#include "tap/session_sweep.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QtTest>

using namespace podtap;
using podtap::test::builtExecutable;
using podtap::test::run;
using podtap::test::SimFixture;
using podtap::test::waitFor;

namespace {

constexpr qint64 kDay = 86400;

/// A podtap agent pod as TapSession makes it, as far as the sweep reads it.
QJsonObject agentPod(const QString &name, const QString &session, const QString &heartbeat)
{
    return QJsonObject {{QStringLiteral("apiVersion"), QStringLiteral("v1")},
        {QStringLiteral("kind"), QStringLiteral("Pod")},
        {QStringLiteral("metadata"),
            QJsonObject {{QStringLiteral("name"), name},
                {QStringLiteral("labels"),
                    QJsonObject {{QLatin1String(kLabelManagedBy), QStringLiteral("podtap")},
                        {QLatin1String(kLabelSession), session},
                        {QLatin1String(kLabelComponent), QStringLiteral("sender")}}},
                {QStringLiteral("annotations"),
                    QJsonObject {{QLatin1String(kAnnotationHeartbeat), heartbeat},
                        {QLatin1String(kAnnotationTarget), QStringLiteral("default/web/eth0")}}}}},
        {QStringLiteral("spec"),
            QJsonObject {{QStringLiteral("nodeName"), QStringLiteral("node-001")},
                {QStringLiteral("containers"),
                    QJsonArray {QJsonObject {{QStringLiteral("name"), QStringLiteral("agent")},
                        {QStringLiteral("image"), QStringLiteral("ghcr.io/podtap/podtap-agent:test")}}}}}}};
}

QStringList names(const QList<AgentPodInfo> &pods)
{
    QStringList list;
    for (const AgentPodInfo &pod : pods) {
        list << pod.name;
    }
    list.sort();
    return list;
}

} // namespace

/// @brief One sweep for the console and podtapctl: which pods are leftovers, and how they are removed.
class TestSessionSweeperSim final : public QObject
{
    Q_OBJECT

    static void createNamespace(kube::KubeClient &client, const QString &name)
    {
        kube::KubeReply *reply = waitFor(client.create(kube::KubeClient::corePath(QStringLiteral("namespaces")),
            QJsonObject {{QStringLiteral("metadata"), QJsonObject {{QStringLiteral("name"), name}}}}));
        QVERIFY2(reply->ok(), qPrintable(reply->error().toString()));
    }

    static void createPod(kube::KubeClient &client, const QJsonObject &pod)
    {
        kube::KubeReply *reply =
            waitFor(client.create(kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap")), pod));
        QVERIFY2(reply->ok(), qPrintable(reply->error().toString()));
    }

    static QStringList podtapctl(const SimFixture &sim, const QStringList &args)
    {
        return QStringList {builtExecutable(QStringLiteral("app/cli/podtapctl"))} + args +
            QStringList {QStringLiteral("--kubeconfig"), sim.kubeconfig()};
    }

private Q_SLOTS:
    void agesAreMeasuredOnTheServersClock_data()
    {
        QTest::addColumn<qint64>("skewSeconds");
        QTest::newRow("server a day ahead") << kDay;
        QTest::newRow("server a day behind") << -kDay;
        QTest::newRow("same clock") << qint64(0);
    }

    void agesAreMeasuredOnTheServersClock()
    {
        // The console and the server disagree by a day. Heartbeats are written on the server's clock
        // (TapSession uses serverNow()), so a fresh one is fresh and a stale one stale only when
        // they are aged on that clock too.
        QFETCH(qint64, skewSeconds);
        SimFixture sim({QStringLiteral("--nodes"), QStringLiteral("1"), QStringLiteral("--clock-skew-seconds"),
            QString::number(skewSeconds)});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        createNamespace(*client, QStringLiteral("podtap"));
        const QDateTime serverNow = QDateTime::currentDateTimeUtc().addSecs(skewSeconds);
        createPod(*client,
            agentPod(
                QStringLiteral("podtap-live"), QStringLiteral("live0001"), heartbeatTimestamp(serverNow.addSecs(-20))));
        createPod(*client,
            agentPod(QStringLiteral("podtap-dead"), QStringLiteral("dead0001"),
                heartbeatTimestamp(serverNow.addSecs(-600))));

        SessionSweeper sweeper(client.get());
        QSignalSpy found(&sweeper, &SessionSweeper::found);
        QSignalSpy failed(&sweeper, &SessionSweeper::failed);
        sweeper.find(QStringLiteral("podtap"), 180);
        QVERIFY(found.wait(15000));
        QCOMPARE(failed.count(), 0);
        QCOMPARE(names(sweeper.pods()), (QStringList {QStringLiteral("podtap-dead"), QStringLiteral("podtap-live")}));
        QCOMPARE(names(sweeper.leftovers()), QStringList {QStringLiteral("podtap-dead")});
        QVERIFY2(
            qAbs(sweeper.serverTime().secsTo(serverNow)) < 60, qPrintable(sweeper.serverTime().toString(Qt::ISODate)));
        const AgentPodInfo dead = sweeper.leftovers().first();
        QVERIFY2(dead.deadReason.contains(QStringLiteral("s ago (timeout 180 s)")), qPrintable(dead.deadReason));

        // podtapctl applies the same clock: sweep removes the dead pod and keeps the live one.
        const auto swept = run(podtapctl(sim, {QStringLiteral("sweep")}));
        QVERIFY2(swept.ok(), qPrintable(swept.describe({QStringLiteral("podtapctl sweep")})));
        QVERIFY2(swept.out.contains("pod/podtap-dead deleted"), swept.out.constData());
        QVERIFY2(!swept.out.contains("podtap-live"), swept.out.constData());
        const auto listed = run(podtapctl(sim, {QStringLiteral("list")}));
        QVERIFY2(listed.ok(), qPrintable(listed.describe({QStringLiteral("podtapctl list")})));
        QVERIFY2(listed.out.contains("live0001"), listed.out.constData());
        QVERIFY2(!listed.out.contains("dead: "), listed.out.constData());
    }

    void leavesPodsBeingDeletedAndLiveSessions()
    {
        // A deleted pod stays (terminating, with a deletionTimestamp) for its grace period.
        SimFixture sim(
            {QStringLiteral("--nodes"), QStringLiteral("1"), QStringLiteral("--stop-delay"), QStringLiteral("120000")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        createNamespace(*client, QStringLiteral("podtap"));
        const QString old = heartbeatTimestamp(QDateTime::currentDateTimeUtc().addSecs(-3600));
        createPod(*client, agentPod(QStringLiteral("podtap-going"), QStringLiteral("going001"), old));
        createPod(*client, agentPod(QStringLiteral("podtap-mine"), QStringLiteral("mine0001"), old));
        createPod(*client, agentPod(QStringLiteral("podtap-left"), QStringLiteral("left0001"), old));
        kube::KubeReply *deleting =
            waitFor(client->remove(kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap"),
                                       QStringLiteral("podtap-going")),
                60));
        QVERIFY2(deleting->ok(), qPrintable(deleting->error().toString()));

        SessionSweeper sweeper(client.get());
        QSignalSpy found(&sweeper, &SessionSweeper::found);
        sweeper.find(QStringLiteral("podtap"), 180, {QStringLiteral("mine0001")});
        QVERIFY(found.wait(15000));
        QCOMPARE(names(sweeper.pods()).size(), 3);
        QCOMPARE(names(sweeper.leftovers()), QStringList {QStringLiteral("podtap-left")});

        // podtapctl sweep follows the same rule: the terminating pod is not deleted a second time.
        const auto dryRun = run(podtapctl(sim, {QStringLiteral("sweep"), QStringLiteral("--dry-run")}));
        QVERIFY2(dryRun.ok(), qPrintable(dryRun.describe({QStringLiteral("podtapctl sweep --dry-run")})));
        QVERIFY2(dryRun.out.contains("would delete pod/podtap-left"), dryRun.out.constData());
        QVERIFY2(dryRun.out.contains("would delete pod/podtap-mine"), dryRun.out.constData());
        QVERIFY2(!dryRun.out.contains("podtap-going"), dryRun.out.constData());
    }

    void missingNamespaceMeansNothingLeft()
    {
        SimFixture sim({});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        SessionSweeper sweeper(client.get());
        QSignalSpy found(&sweeper, &SessionSweeper::found);
        QSignalSpy failed(&sweeper, &SessionSweeper::failed);
        sweeper.find(QStringLiteral("no-such-agent-namespace"), 180);
        QVERIFY(found.wait(15000));
        QCOMPARE(failed.count(), 0);
        QVERIFY(sweeper.leftovers().isEmpty());

        const auto swept = run(podtapctl(sim,
            {QStringLiteral("sweep"), QStringLiteral("--agent-namespace"), QStringLiteral("no-such-agent-namespace")}));
        QVERIFY2(swept.ok(), qPrintable(swept.describe({QStringLiteral("podtapctl sweep")})));
        QVERIFY2(swept.err.contains("0 leftover pod(s) removed"), swept.err.constData());
    }

    void removingAPodThatIsGoneCountsAsRemoved()
    {
        SimFixture sim({});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        AgentPodInfo gone;
        gone.name = QStringLiteral("podtap-gone");
        gone.namespaceName = QStringLiteral("podtap");
        gone.sessionId = QStringLiteral("gone0001");
        SessionSweeper sweeper(client.get());
        QSignalSpy removed(&sweeper, &SessionSweeper::removed);
        sweeper.remove({gone});
        QVERIFY(removed.wait(15000));
        QCOMPARE(
            names(removed.first().at(0).value<QList<AgentPodInfo>>()), QStringList {QStringLiteral("podtap-gone")});
        QVERIFY(removed.first().at(1).toStringList().isEmpty());
    }

    void aRefusedDeleteNamesThePodTheReasonAndTheFix()
    {
        SimFixture sim({QStringLiteral("--nodes"), QStringLiteral("1"), QStringLiteral("--forbid"),
            QStringLiteral("delete:pods:podtap")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        createNamespace(*client, QStringLiteral("podtap"));
        createPod(*client,
            agentPod(QStringLiteral("podtap-stuck"), QStringLiteral("stuck001"), QStringLiteral("not a time")));
        SessionSweeper sweeper(client.get());
        QSignalSpy found(&sweeper, &SessionSweeper::found);
        sweeper.find(QStringLiteral("podtap"), 180);
        QVERIFY(found.wait(15000));
        QCOMPARE(names(sweeper.leftovers()), QStringList {QStringLiteral("podtap-stuck")});
        QSignalSpy removed(&sweeper, &SessionSweeper::removed);
        sweeper.remove(sweeper.leftovers());
        QVERIFY(removed.wait(15000));
        QVERIFY(removed.first().at(0).value<QList<AgentPodInfo>>().isEmpty());
        const QStringList errors = removed.first().at(1).toStringList();
        QCOMPARE(errors.size(), 1);
        QVERIFY2(errors.first().contains(QStringLiteral("podtap/podtap-stuck")), qPrintable(errors.first()));
        QVERIFY2(errors.first().contains(QStringLiteral("forbidden"), Qt::CaseInsensitive), qPrintable(errors.first()));
        QVERIFY2(errors.first().contains(QStringLiteral("permission to delete pods in namespace podtap")),
            qPrintable(errors.first()));

        const auto swept = run(podtapctl(sim, {QStringLiteral("sweep")}));
        QCOMPARE(swept.exitCode, 1);
        QVERIFY2(swept.err.contains("podtap/podtap-stuck") && swept.err.contains("permission to delete pods"),
            swept.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestSessionSweeperSim)
#include "tst_session_sweeper_sim.moc"
