// SPDX-License-Identifier: Apache-2.0
// ListWatch and PodTableModel against podtap-sim: events, resume after a dropped watch, relist on
// 410 both as an HTTP status and as an ERROR event, and the model following it all.
#include "cluster/pod_table_model.h"
#include "kube/list_watch.h"
#include "sim_fixture.h"

#include <QAbstractItemModelTester>
#include <QJsonArray>
#include <QtTest>

using namespace podtap::kube;
using podtap::cluster::PodTableModel;
using podtap::test::SimFixture;
using podtap::test::waitFor;

namespace {

QJsonObject podManifest(const QString &name)
{
    return QJsonObject {{QStringLiteral("apiVersion"), QStringLiteral("v1")},
        {QStringLiteral("kind"), QStringLiteral("Pod")},
        {QStringLiteral("metadata"), QJsonObject {{QStringLiteral("name"), name}}},
        {QStringLiteral("spec"),
            QJsonObject {{QStringLiteral("containers"),
                QJsonArray {QJsonObject {{QStringLiteral("name"), QStringLiteral("app")},
                    {QStringLiteral("image"), QStringLiteral("registry.example/app:1")}}}}}}};
}

struct Seen
{
    QStringList added, modified, deleted;
};

QString nameOf(const QJsonObject &object)
{
    return object[QLatin1String("metadata")][QLatin1String("name")].toString();
}

const QString kNs = QStringLiteral("default");

} // namespace

class TestListWatchE2e : public QObject
{
    Q_OBJECT

    void createPods(KubeClient *client, const QString &prefix, int count)
    {
        QList<KubeReply *> replies;
        for (int i = 0; i < count; ++i) {
            replies << client->create(KubeClient::corePath(QStringLiteral("pods"), kNs),
                podManifest(QStringLiteral("%1-%2").arg(prefix).arg(i)));
        }
        for (KubeReply *reply : replies) {
            QVERIFY2(waitFor(reply)->ok(), qPrintable(reply->error().toString()));
        }
    }

private Q_SLOTS:
    void watchSeesAddedModifiedDeleted()
    {
        SimFixture sim({QStringLiteral("--pods"), QStringLiteral("20"), QStringLiteral("--namespaces"),
            QStringLiteral("2"), QStringLiteral("--start-delay"), QStringLiteral("100"), QStringLiteral("--stop-delay"),
            QStringLiteral("100")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        ListWatch watch(client.get(), KubeClient::corePath(QStringLiteral("pods"), kNs));
        Seen seen;
        connect(&watch, &ListWatch::eventReceived, this, [&](WatchEventType type, const QJsonObject &object) {
            (type == WatchEventType::Added             ? seen.added
                    : type == WatchEventType::Modified ? seen.modified
                                                       : seen.deleted)
                << nameOf(object);
        });
        QSignalSpy opened(&watch, &ListWatch::watchOpened);
        watch.start();
        QVERIFY(opened.wait(10000));
        createPods(client.get(), QStringLiteral("w"), 1);
        QTRY_VERIFY_WITH_TIMEOUT(seen.added.contains(QStringLiteral("w-0")), 10000);
        // The simulated kubelet starts it: a MODIFIED with the new status.
        QTRY_VERIFY_WITH_TIMEOUT(seen.modified.contains(QStringLiteral("w-0")), 10000);
        QVERIFY(
            waitFor(client->remove(KubeClient::corePath(QStringLiteral("pods"), kNs, QStringLiteral("w-0")), 0))->ok());
        QTRY_VERIFY_WITH_TIMEOUT(seen.deleted.contains(QStringLiteral("w-0")), 10000);
        QCOMPARE(watch.relistCount(), 1);
    }

    void resumesAfterDroppedConnection()
    {
        SimFixture sim({QStringLiteral("--pods"), QStringLiteral("10"), QStringLiteral("--namespaces"),
            QStringLiteral("1"), QStringLiteral("--drop-watch-after"), QStringLiteral("1")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        ListWatch watch(client.get(), KubeClient::corePath(QStringLiteral("pods"), kNs));
        watch.setBackoff(100, 1000);
        QStringList added;
        connect(&watch, &ListWatch::eventReceived, this, [&](WatchEventType type, const QJsonObject &object) {
            if (type == WatchEventType::Added) {
                added << nameOf(object);
            }
        });
        QSignalSpy stale(&watch, &ListWatch::staleChanged);
        QSignalSpy opened(&watch, &ListWatch::watchOpened);
        watch.start();
        QVERIFY(opened.wait(10000));
        createPods(client.get(), QStringLiteral("before"), 1);
        // The sim drops the watch after a second; the next one resumes from the last resourceVersion.
        QTRY_VERIFY_WITH_TIMEOUT(opened.count() >= 2, 15000);
        createPods(client.get(), QStringLiteral("after"), 1);
        QTRY_VERIFY_WITH_TIMEOUT(added.contains(QStringLiteral("after-0")), 10000);
        QCOMPARE(added.count(QStringLiteral("before-0")), 1); // nothing replayed twice
        QCOMPARE(watch.relistCount(), 1); // resumed, never relisted
        QVERIFY(watch.reconnectCount() >= 1);
        // Stale on the drop; fresh again once the resumed watch delivered an event (the sim
        // keeps dropping every watch after a second, so the latest state may be stale again).
        QTRY_VERIFY_WITH_TIMEOUT(stale.count() >= 2, 10000);
        QCOMPARE(stale.first().first().toBool(), true);
        QCOMPARE(stale.at(1).first().toBool(), false);
    }

    void relistsOnExpiredErrorEvent()
    {
        SimFixture sim({QStringLiteral("--pods"), QStringLiteral("10"), QStringLiteral("--namespaces"),
            QStringLiteral("1"), QStringLiteral("--expire-after-events"), QStringLiteral("5")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        PodTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        ListWatch watch(client.get(), KubeClient::corePath(QStringLiteral("pods"), kNs));
        model.connectTo(&watch);
        QSignalSpy opened(&watch, &ListWatch::watchOpened);
        QSignalSpy relisted(&watch, &ListWatch::relistFinished);
        watch.start();
        QVERIFY(opened.wait(10000));
        const int before = model.rowCount();
        // More events than the stream may fall behind: the sim ends it with an ERROR 410 event.
        createPods(client.get(), QStringLiteral("burst"), 8);
        QTRY_VERIFY_WITH_TIMEOUT(watch.relistCount() >= 2, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(relisted.count() >= 2, 15000);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), before + 8, 10000);
        QVERIFY(model.rowOf(model.index(0, 0).data(PodTableModel::UidRole).toString()) == 0);
    }

    void relistsOnHttp410()
    {
        SimFixture sim(
            {QStringLiteral("--pods"), QStringLiteral("10"), QStringLiteral("--namespaces"), QStringLiteral("1"),
                QStringLiteral("--expire-after-events"), QStringLiteral("5"), QStringLiteral("--drop-watch-after"),
                QStringLiteral("1"), QStringLiteral("--start-delay"), QStringLiteral("5000")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        PodTableModel model;
        ListWatch watch(client.get(), KubeClient::corePath(QStringLiteral("pods"), kNs));
        watch.setBackoff(2000, 4000); // room to change the cluster while the watch is down
        model.connectTo(&watch);
        QSignalSpy opened(&watch, &ListWatch::watchOpened);
        QSignalSpy stale(&watch, &ListWatch::staleChanged);
        watch.start();
        QVERIFY(opened.wait(10000));
        const int before = model.rowCount();
        QVERIFY(stale.wait(10000)); // the drop
        QVERIFY(watch.isStale());
        QVERIFY(model.isStale());
        QCOMPARE(model.rowCount(), before); // rows stay while stale
        createPods(client.get(), QStringLiteral("gap"), 8);
        // The resumed watch asks for a resourceVersion the sim no longer has: HTTP 410, relist.
        QTRY_VERIFY_WITH_TIMEOUT(watch.relistCount() >= 2, 20000);
        QTRY_COMPARE_WITH_TIMEOUT(model.rowCount(), before + 8, 10000);
        // Fresh again once a watch after the relist delivered an event (the sim keeps dropping
        // watches after a second, so the table may turn stale again after that). Nothing before
        // the relist can have cleared it: the drop made it stale and the resumed watch got 410.
        createPods(client.get(), QStringLiteral("fresh"), 1);
        QTRY_VERIFY_WITH_TIMEOUT(stale.contains(QVariantList {false}), 20000);
    }
};

QTEST_GUILESS_MAIN(TestListWatchE2e)
#include "tst_list_watch_e2e.moc"
