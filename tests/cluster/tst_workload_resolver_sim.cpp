// SPDX-License-Identifier: Apache-2.0
// WorkloadResolver against kube-sim: every workload kind and label selectors resolve to the pods
// kube-sim seeded for them (Running ones to tap, the rest apart), and the limit, a missing
// workload, a refusal and a selector that matches nothing end in errors naming object, reason, fix.
#include "cluster/workload_target.h"
#include "sim_fixture.h"

#include <QJsonArray>
#include <QSet>
#include <QSignalSpy>
#include <QTest>

using podtap::cluster::ResolvedPod;
using podtap::cluster::WorkloadResolution;
using podtap::cluster::WorkloadResolver;
using podtap::cluster::WorkloadTarget;
using podtap::test::SimFixture;
using podtap::test::waitFor;

namespace {

QStringList names(const QList<ResolvedPod> &pods)
{
    QStringList out;
    for (const ResolvedPod &pod : pods) {
        out << pod.name;
    }
    return out;
}

} // namespace

class TestWorkloadResolverSim : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<SimFixture> m_sim;
    std::unique_ptr<podtap::kube::KubeClient> m_client;

    /// Resolves a positional target (or, with @p asSelector, the selector of `-l`).
    WorkloadResolution resolve(
        const QString &spec, const QString &ns = QStringLiteral("shop"), int maxPods = 0, bool asSelector = false)
    {
        QString error;
        const auto target =
            asSelector ? WorkloadTarget::fromSelector(spec, ns, &error) : WorkloadTarget::parse(spec, ns, &error);
        if (!target) {
            WorkloadResolution failed;
            failed.error = QStringLiteral("parse: ") + error;
            return failed;
        }
        WorkloadResolver resolver(m_client.get());
        if (maxPods > 0) {
            resolver.setMaxPods(maxPods);
        }
        QSignalSpy spy(&resolver, &WorkloadResolver::finished);
        resolver.resolve(*target);
        if (spy.isEmpty() && !spy.wait(15000)) {
            WorkloadResolution failed;
            failed.error = QStringLiteral("no answer within 15 s");
            return failed;
        }
        return spy.takeFirst().at(0).value<WorkloadResolution>();
    }

    QJsonArray listItems(const QString &path)
    {
        auto *reply = waitFor(m_client->get(path));
        reply->deleteLater();
        return reply->json().value(QLatin1String("items")).toArray();
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_sim = std::make_unique<SimFixture>(
            QStringList {QStringLiteral("--namespaces"), QStringLiteral("3"), QStringLiteral("--nodes"),
                QStringLiteral("3"), QStringLiteral("--pods"), QStringLiteral("40"), QStringLiteral("--workloads"),
                QStringLiteral("shop"), QStringLiteral("--forbid"), QStringLiteral("get:deployments:locked"),
                QStringLiteral("--forbid"), QStringLiteral("list:pods:monitoring")});
        PODTAP_REQUIRE_SIM(*m_sim);
        QString error;
        m_client = m_sim->client(&error);
        QVERIFY2(m_client, qPrintable(error));
    }

    void deploymentThroughMatchExpressions()
    {
        const WorkloadResolution result = resolve(QStringLiteral("deploy/shop"));
        QVERIFY2(result.ok(), qPrintable(result.error));
        QCOMPARE(result.selector, QStringLiteral("app=shop,tier in (api,web)"));
        QCOMPARE(result.running.size(), 2);
        QCOMPARE(result.notRunning.size(), 1);
        QCOMPARE(result.notRunning.first().status, QStringLiteral("ContainerCreating"));
        // shop-db-0 carries app=shop too, but its tier is outside the Deployment's selector.
        QVERIFY(!names(result.running).contains(QStringLiteral("shop-db-0")));
        for (const ResolvedPod &pod : result.running) {
            QVERIFY(!pod.podIp.isEmpty());
            QVERIFY(!pod.node.isEmpty());
            QCOMPARE(pod.namespaceName, QStringLiteral("shop"));
        }
    }

    void replicaSetOfTheDeployment()
    {
        const QJsonArray sets = listItems(QStringLiteral("/apis/apps/v1/namespaces/shop/replicasets"));
        QCOMPARE(sets.size(), 1);
        const QString name =
            sets.at(0).toObject().value(QLatin1String("metadata")).toObject().value(QLatin1String("name")).toString();
        const WorkloadResolution rs = resolve(QStringLiteral("rs/") + name);
        QVERIFY2(rs.ok(), qPrintable(rs.error));
        QVERIFY2(rs.selector.contains(QStringLiteral("pod-template-hash=")), qPrintable(rs.selector));
        QCOMPARE(names(rs.running), names(resolve(QStringLiteral("deployment/shop")).running));
    }

    void statefulSetPods()
    {
        const WorkloadResolution result = resolve(QStringLiteral("sts/db"));
        QVERIFY2(result.ok(), qPrintable(result.error));
        QCOMPARE(names(result.running),
            (QStringList {QStringLiteral("db-0"), QStringLiteral("db-1"), QStringLiteral("db-2")}));
        QVERIFY(result.notRunning.isEmpty());
    }

    void daemonSetPodOnEveryNode()
    {
        const WorkloadResolution result = resolve(QStringLiteral("daemonset/node-agent"));
        QVERIFY2(result.ok(), qPrintable(result.error));
        QCOMPARE(result.running.size(), 3);
        QSet<QString> nodes;
        for (const ResolvedPod &pod : result.running) {
            nodes.insert(pod.node);
        }
        QCOMPARE(nodes.size(), 3);
    }

    void jobThroughItsControllerUid()
    {
        const WorkloadResolution result = resolve(QStringLiteral("job/migrate"));
        QVERIFY2(result.ok(), qPrintable(result.error));
        QVERIFY2(result.selector.startsWith(QStringLiteral("batch.kubernetes.io/controller-uid=")),
            qPrintable(result.selector));
        QCOMPARE(result.running.size(), 1);
        QVERIFY(result.running.first().name.startsWith(QStringLiteral("migrate-")));
    }

    void seededDeploymentsCoverTheirReplicas()
    {
        // The Deployments behind the --pods seed: each resolves to as many pods as it reports.
        const QJsonArray deployments = listItems(QStringLiteral("/apis/apps/v1/namespaces/payments/deployments"));
        QVERIFY(!deployments.isEmpty());
        for (const QJsonValue &value : deployments) {
            const QJsonObject deployment = value.toObject();
            const QString name =
                deployment.value(QLatin1String("metadata")).toObject().value(QLatin1String("name")).toString();
            const WorkloadResolution result = resolve(QStringLiteral("deploy/") + name, QStringLiteral("payments"));
            const int replicas =
                deployment.value(QLatin1String("status")).toObject().value(QLatin1String("replicas")).toInt();
            QCOMPARE(int(result.running.size() + result.notRunning.size()), replicas);
            QVERIFY2(result.ok() || result.error.contains(QStringLiteral("is Running with an IP")),
                qPrintable(result.error));
        }
    }

    void labelSelectors_data()
    {
        QTest::addColumn<QString>("selector");
        QTest::addColumn<int>("running");
        QTest::addColumn<int>("notRunning");
        QTest::newRow("app=shop") << "app=shop" << 3 << 1;
        QTest::newRow("set") << "app in (db,node-agent)" << 6 << 0;
        QTest::newRow("not equals") << "app=shop,tier!=web" << 2 << 0;
        QTest::newRow("does not exist") << "app=shop,!pod-template-hash" << 1 << 0;
        QTest::newRow("exists") << "statefulset.kubernetes.io/pod-name" << 3 << 0;
    }

    void labelSelectors()
    {
        QFETCH(QString, selector);
        QFETCH(int, running);
        QFETCH(int, notRunning);
        const WorkloadResolution result = resolve(selector, QStringLiteral("shop"), 0, true);
        QVERIFY2(result.ok(), qPrintable(result.error));
        QCOMPARE(int(result.running.size()), running);
        QCOMPARE(int(result.notRunning.size()), notRunning);
    }

    void onePod()
    {
        const WorkloadResolution result = resolve(QStringLiteral("shop/db-1"), QStringLiteral("default"));
        QVERIFY2(result.ok(), qPrintable(result.error));
        QCOMPARE(names(result.running), QStringList {QStringLiteral("db-1")});
        QVERIFY(result.selector.isEmpty());
    }

    void aboveTheLimit()
    {
        const WorkloadResolution result = resolve(QStringLiteral("sts/db"), QStringLiteral("shop"), 2);
        QVERIFY(!result.ok());
        QVERIFY2(result.error.contains(QStringLiteral(
                     "statefulset \"db\" in namespace \"shop\" has 3 running pods, more than the limit of 2")),
            qPrintable(result.error));
        QVERIFY2(result.error.contains(QStringLiteral("--max-pods 3")), qPrintable(result.error));
        QVERIFY2(result.error.contains(QStringLiteral("label selector (-l)")), qPrintable(result.error));
        // At the limit it is fine.
        QVERIFY(resolve(QStringLiteral("sts/db"), QStringLiteral("shop"), 3).ok());
    }

    void missingWorkload()
    {
        const WorkloadResolution result = resolve(QStringLiteral("deploy/nope"));
        QVERIFY(!result.ok());
        QVERIFY2(result.error.contains(QStringLiteral("deployment \"nope\" was not found in namespace \"shop\"")),
            qPrintable(result.error));
        QVERIFY2(result.error.contains(QStringLiteral("kubectl get deployments -n shop")), qPrintable(result.error));
    }

    void forbiddenWorkloadNamesTheRule()
    {
        const WorkloadResolution result = resolve(QStringLiteral("deploy/cart"), QStringLiteral("locked"));
        QVERIFY(!result.ok());
        QVERIFY2(result.error.contains(QStringLiteral("cannot get deployment \"cart\" in namespace \"locked\"")),
            qPrintable(result.error));
        QVERIFY2(result.error.contains(
                     QStringLiteral("{apiGroups: [\"apps\"], resources: [\"deployments\"], verbs: [\"get\"]}")),
            qPrintable(result.error));
        QVERIFY2(
            result.error.contains(QStringLiteral("--verb=get --resource=deployments.apps")), qPrintable(result.error));
    }

    void forbiddenPodListNamesTheRule()
    {
        const WorkloadResolution result = resolve(QStringLiteral("app=cart"), QStringLiteral("monitoring"));
        QVERIFY(!result.ok());
        QVERIFY2(result.error.contains(QStringLiteral("cannot list the pods of")), qPrintable(result.error));
        QVERIFY2(result.error.contains(QStringLiteral("{apiGroups: [\"\"], resources: [\"pods\"], verbs: [\"list\"]}")),
            qPrintable(result.error));
    }

    void selectorMatchingNothing()
    {
        const WorkloadResolution result = resolve(QStringLiteral("app=no-such-app"));
        QVERIFY(!result.ok());
        QVERIFY2(result.error.contains(QStringLiteral("selects no pods (selector \"app=no-such-app\")")),
            qPrintable(result.error));
        QVERIFY2(result.error.contains(QStringLiteral("--show-labels")), qPrintable(result.error));
    }

    void nothingRunning()
    {
        const WorkloadResolution result = resolve(QStringLiteral("job/backfill"));
        QVERIFY(!result.ok());
        QVERIFY2(
            result.error.contains(QStringLiteral("none of the 1 pods of job \"backfill\"")), qPrintable(result.error));
        QVERIFY2(result.error.contains(QStringLiteral("(Completed)")), qPrintable(result.error));
        QCOMPARE(result.notRunning.size(), 1);
    }

    void podNotRunning()
    {
        const WorkloadResolution deployment = resolve(QStringLiteral("deploy/shop"));
        QCOMPARE(deployment.notRunning.size(), 1);
        const QString pending = deployment.notRunning.first().name;
        const WorkloadResolution result = resolve(pending);
        QVERIFY(!result.ok());
        QVERIFY2(result.error.contains(QStringLiteral("is ContainerCreating, not Running")), qPrintable(result.error));
    }
};

QTEST_GUILESS_MAIN(TestWorkloadResolverSim)
#include "tst_workload_resolver_sim.moc"
