// SPDX-License-Identifier: Apache-2.0
#include "cluster/namespace_list_model.h"
#include "cluster/pod_table_model.h"
#include "pod_fixtures.h"

#include <QAbstractItemModelTester>
#include <QSortFilterProxyModel>
#include <QtTest>

using namespace podtap::cluster;
using podtap::kube::WatchEventType;
using podtap::testing::podJson;

namespace {

QJsonArray pods(int count, const QString &prefix = QStringLiteral("pod"), int namespaces = 3)
{
    QJsonArray items;
    for (int i = 0; i < count; ++i) {
        items.append(podJson(QStringLiteral("%1-uid-%2").arg(prefix).arg(i),
            QStringLiteral("ns-%1").arg(i % namespaces), QStringLiteral("%1-%2").arg(prefix).arg(i)));
    }
    return items;
}

QJsonObject withStatus(QJsonObject pod, const QString &waitingReason)
{
    QJsonObject status = pod.value(QStringLiteral("status")).toObject();
    status.insert(QStringLiteral("containerStatuses"),
        QJsonArray {QJsonObject {{QStringLiteral("name"), QStringLiteral("app")}, {QStringLiteral("restartCount"), 2},
            {QStringLiteral("state"),
                QJsonObject {{QStringLiteral("waiting"), QJsonObject {{QStringLiteral("reason"), waitingReason}}}}}}});
    pod.insert(QStringLiteral("status"), status);
    return pod;
}

} // namespace

class TestPodTableModel : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void relistResetsAndShowsRows()
    {
        PodTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setClock([] { return QDateTime(QDate(2026, 1, 3), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch(); });
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        // The first list into an empty table shows its first page at once; the whole list replaces it at the end.
        model.beginRelist();
        model.addListPage(pods(600));
        QCOMPARE(model.rowCount(), 600);
        model.addListPage(pods(10, QStringLiteral("more")));
        model.addListPage(pods(2)); // listed again by a later page: replaced, not added twice
        QCOMPARE(model.rowCount(), 600);
        model.endRelist();
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.rowCount(), 610);
        // A relist of a shown table keeps the old state visible until it completes, then resets once.
        model.beginRelist();
        model.addListPage(pods(600));
        QCOMPARE(model.rowCount(), 610);
        model.addListPage(pods(10, QStringLiteral("more")));
        QCOMPARE(model.rowCount(), 610);
        model.endRelist();
        QCOMPARE(reset.count(), 2);
        QCOMPARE(model.rowCount(), 610);
        QCOMPARE(model.columnCount(), 8);
        QCOMPARE(model.headerData(0, Qt::Horizontal).toString(), QStringLiteral("Namespace"));
        const int row = model.rowOf(QStringLiteral("pod-uid-5"));
        QVERIFY(row >= 0);
        QCOMPARE(model.index(row, PodTableModel::NameColumn).data().toString(), QStringLiteral("pod-5"));
        QCOMPARE(model.index(row, PodTableModel::ReadyColumn).data().toString(), QStringLiteral("1/1"));
        QCOMPARE(model.index(row, PodTableModel::AgeColumn).data().toString(), QStringLiteral("2d"));
        QCOMPARE(model.index(row, PodTableModel::AgeColumn).data(PodTableModel::CreationTimeRole).toLongLong(),
            QDateTime(QDate(2026, 1, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch());
        QCOMPARE(model.index(row, PodTableModel::AgeColumn).data(PodTableModel::SortRole).toLongLong(),
            qint64(2 * 86400 * 1000));
        QCOMPARE(model.index(row, 0).data(PodTableModel::ContainerIdsRole).toStringList(),
            QStringList {QStringLiteral("containerd://abc123")});
        // The structured parts are read typed, also through a proxy (what the console's views hold).
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(&model);
        proxy.sort(PodTableModel::NameColumn, Qt::DescendingOrder);
        const QModelIndex viewIndex = proxy.mapFromSource(model.index(row, PodTableModel::StatusColumn));
        const PodRow *pod = PodTableModel::podAt(viewIndex);
        QVERIFY(pod);
        QCOMPARE(pod->uid, QStringLiteral("pod-uid-5"));
        QCOMPARE(pod->containers.size(), 1);
        const PodContainer &app = pod->containers.first();
        QCOMPARE(app.name, QStringLiteral("app"));
        QCOMPARE(app.kind, PodContainer::Kind::App);
        QCOMPARE(app.state, PodContainer::State::Running);
        QVERIFY(app.ready);
        QCOMPARE(app.restarts, 0);
        QCOMPARE(PodTableModel::podAt(QModelIndex()), nullptr);
        QCOMPARE(model.podCount(QStringLiteral("ns-0")), 200 + 4);
    }

    void eventsAreBatchedWithRangedSignals()
    {
        PodTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setBatchInterval(50);
        model.beginRelist();
        model.addListPage(pods(100));
        model.endRelist();

        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        QSignalSpy removed(&model, &QAbstractItemModel::rowsRemoved);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QSignalSpy batches(&model, &PodTableModel::batchApplied);

        const QJsonArray fresh = pods(5, QStringLiteral("new"));
        for (const QJsonValue &pod : fresh) {
            model.queueEvent(WatchEventType::Added, pod.toObject());
        }
        // Rows 10..19 removed (contiguous) and 50, 70 (scattered).
        const QJsonArray all = pods(100);
        for (int i : {10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 50, 70}) {
            model.queueEvent(WatchEventType::Deleted, all.at(i).toObject());
        }
        // Rows 30, 31, 32 change; 40 changes twice (last wins).
        for (int i : {30, 31, 32, 40}) {
            model.queueEvent(
                WatchEventType::Modified, withStatus(all.at(i).toObject(), QStringLiteral("ErrImagePull")));
        }
        model.queueEvent(
            WatchEventType::Modified, withStatus(all.at(40).toObject(), QStringLiteral("CrashLoopBackOff")));
        QCOMPARE(model.rowCount(), 100); // nothing applied yet
        QCOMPARE(model.pendingCount(), 21);

        QVERIFY(batches.wait(2000));
        QCOMPARE(batches.count(), 1);
        QCOMPARE(reset.count(), 0);
        QCOMPARE(model.rowCount(), 100 - 12 + 5);
        QCOMPARE(inserted.count(), 1); // one beginInsertRows for all additions
        QCOMPARE(removed.count(), 3); // 10..19, 50, 70
        QCOMPARE(changed.count(), 2); // rows of 30..32 (contiguous) and 40
        QCOMPARE(model.rowOf(QStringLiteral("pod-uid-15")), -1);
        QCOMPARE(model.rowOf(QStringLiteral("pod-uid-70")), -1);
        const int row40 = model.rowOf(QStringLiteral("pod-uid-40"));
        QCOMPARE(model.index(row40, PodTableModel::StatusColumn).data().toString(), QStringLiteral("CrashLoopBackOff"));
        QCOMPARE(model.index(row40, 0).data(PodTableModel::HealthRole).toInt(), int(PodHealth::Failed));
        QCOMPARE(model.index(row40, PodTableModel::RestartsColumn).data(PodTableModel::SortRole).toInt(), 2);
        // Every uid still maps to the row that shows it.
        for (int row = 0; row < model.rowCount(); ++row) {
            const QString uid = model.index(row, 0).data(PodTableModel::UidRole).toString();
            QCOMPARE(model.rowOf(uid), row);
        }
        QCOMPARE(model.index(model.rowOf(QStringLiteral("new-uid-4")), PodTableModel::NameColumn).data().toString(),
            QStringLiteral("new-4"));
    }

    void mostRowsChangedIsOneSignal()
    {
        PodTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.beginRelist();
        model.addListPage(pods(50));
        model.endRelist();
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        const QJsonArray all = pods(50);
        for (int i = 0; i < 50; i += 2) {
            model.queueEvent(WatchEventType::Modified, withStatus(all.at(i).toObject(), QStringLiteral("Error")));
        }
        for (int i = 1; i < 40; i += 2) {
            model.queueEvent(WatchEventType::Modified, withStatus(all.at(i).toObject(), QStringLiteral("Error")));
        }
        model.applyPending();
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.first().at(0).value<QModelIndex>().row(), 0);
        QCOMPARE(changed.first().at(1).value<QModelIndex>().row(), 49);
    }

    void staleKeepsRows()
    {
        PodTableModel model;
        model.beginRelist();
        model.addListPage(pods(3));
        model.endRelist();
        QSignalSpy stale(&model, &PodTableModel::staleChanged);
        model.setStale(true);
        QCOMPARE(stale.count(), 1);
        QVERIFY(model.isStale());
        QCOMPARE(model.rowCount(), 3);
        QVERIFY(model.index(0, 0).data(PodTableModel::StaleRole).toBool());
    }

    void singleNamespaceHidesTheColumn()
    {
        PodTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.beginRelist();
        model.addListPage(pods(3));
        model.endRelist();
        model.setAllNamespaces(false);
        QCOMPARE(model.columnCount(), 7);
        QCOMPARE(model.headerData(0, Qt::Horizontal).toString(), QStringLiteral("Name"));
        QCOMPARE(model.index(0, 0).data().toString(), QStringLiteral("pod-0"));
    }

    void namespaceModelCountsPods()
    {
        PodTableModel pods;
        NamespaceListModel namespaces;
        QAbstractItemModelTester tester(&namespaces, QAbstractItemModelTester::FailureReportingMode::QtTest);
        namespaces.setPodModel(&pods);
        QJsonArray items;
        for (const char *name : {"ns-1", "ns-0", "ns-2"}) {
            items.append(QJsonObject {{QStringLiteral("metadata"),
                QJsonObject {
                    {QStringLiteral("name"), QLatin1String(name)}, {QStringLiteral("uid"), QLatin1String(name)}}}});
        }
        namespaces.beginRelist();
        namespaces.addListPage(items);
        namespaces.endRelist();
        QCOMPARE(namespaces.rowCount(), 3);
        QCOMPARE(namespaces.index(0).data().toString(), QStringLiteral("ns-0")); // sorted
        pods.beginRelist();
        pods.addListPage(::pods(9));
        pods.endRelist();
        QCOMPARE(namespaces.index(0).data(NamespaceListModel::PodCountRole).toInt(), 3);
        namespaces.applyEvent(WatchEventType::Added,
            QJsonObject {{QStringLiteral("metadata"), QJsonObject {{QStringLiteral("name"), QStringLiteral("aaa")}}}});
        QCOMPARE(namespaces.index(0).data().toString(), QStringLiteral("aaa"));
        namespaces.applyEvent(WatchEventType::Deleted,
            QJsonObject {{QStringLiteral("metadata"), QJsonObject {{QStringLiteral("name"), QStringLiteral("ns-1")}}}});
        QCOMPARE(namespaces.rowCount(), 3);
        QCOMPARE(namespaces.rowOf(QStringLiteral("ns-2")), 2);
    }
};

QTEST_GUILESS_MAIN(TestPodTableModel)
#include "tst_pod_table_model.moc"
