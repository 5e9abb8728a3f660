// SPDX-License-Identifier: Apache-2.0
#include "cluster/pod_table_model.h"
#include "models/pod_filter_proxy_model.h"
#include "models/pod_sort_proxy_model.h"

#include <QAbstractItemModelTester>
#include <QStandardPaths>
#include <QTest>

using podtap::cluster::PodRow;
using podtap::cluster::PodTableModel;
using podtap::gui::PodFilterProxyModel;
using podtap::gui::PodSortProxyModel;

/// @brief The pod table's two layers: the sort layer orders on raw keys, the filter layer on top keeps the
/// namespace and filter words the operator chose, in that order.
class TestPodFilterProxyModel final : public QObject
{
    Q_OBJECT

private:
    static PodRow pod(const QString &ns, const QString &name, const QString &node, qint64 creationMs,
        const QList<QPair<QString, QString>> &labels)
    {
        PodRow row;
        row.uid = ns + QLatin1Char('/') + name;
        row.namespaceName = ns;
        row.name = name;
        row.nodeName = node;
        row.phase = QStringLiteral("Running");
        row.status = QStringLiteral("Running");
        row.creationMs = creationMs;
        row.readyContainers = 1;
        row.totalContainers = 1;
        row.labels = labels;
        return row;
    }

    static QStringList names(const PodFilterProxyModel &proxy)
    {
        QStringList result;
        for (int row = 0; row < proxy.rowCount(); ++row)
            result << proxy.index(row, 0).data(PodTableModel::NameRole).toString();
        return result;
    }

    void fill(PodTableModel &model)
    {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const auto app = [](const char *value) {
            return QPair<QString, QString>(QStringLiteral("app"), QLatin1String(value));
        };
        // Ages chosen so their text ("5m", "2d", "40s") sorts differently from their timestamps.
        model.queueRow(podtap::kube::WatchEventType::Added,
            pod(QStringLiteral("shop"), QStringLiteral("web-0"), QStringLiteral("node-1"), now - 5 * 60'000,
                {app("web")}));
        model.queueRow(podtap::kube::WatchEventType::Added,
            pod(QStringLiteral("shop"), QStringLiteral("web-1"), QStringLiteral("node-2"), now - 2 * 86'400'000,
                {app("web")}));
        model.queueRow(podtap::kube::WatchEventType::Added,
            pod(QStringLiteral("shop"), QStringLiteral("db-0"), QStringLiteral("node-2"), now - 40'000, {app("db")}));
        model.queueRow(podtap::kube::WatchEventType::Added,
            pod(QStringLiteral("ops"), QStringLiteral("web-probe"), QStringLiteral("node-1"), now - 3'600'000, {}));
        model.applyPending();
    }

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void filtersByNamespaceAndWords()
    {
        PodTableModel model;
        PodSortProxyModel sorted(&model);
        PodFilterProxyModel proxy(&sorted);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        fill(model);
        QCOMPARE(proxy.rowCount(), 4);

        proxy.setFilterText(QStringLiteral("web"));
        QCOMPARE(proxy.rowCount(), 3);
        proxy.setNamespace(QStringLiteral("shop"));
        QCOMPARE(proxy.rowCount(), 2);
        proxy.setFilterText(QStringLiteral("web node:node-2"));
        QCOMPARE(names(proxy), QStringList {QStringLiteral("web-1")});
        proxy.setFilterText(QStringLiteral("app=db"));
        QCOMPARE(names(proxy), QStringList {QStringLiteral("db-0")});
        proxy.setFilterText(QStringLiteral("app!=db"));
        QCOMPARE(proxy.rowCount(), 2);
        proxy.setNamespace({});
        proxy.setFilterText(QString());
        QCOMPARE(proxy.rowCount(), 4);
    }

    void rowsArrivingLaterAreFilteredToo()
    {
        PodTableModel model;
        PodSortProxyModel sorted(&model);
        PodFilterProxyModel proxy(&sorted);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        proxy.setFilterText(QStringLiteral("db"));
        fill(model);
        QCOMPARE(names(proxy), QStringList {QStringLiteral("db-0")});
        model.queueRow(podtap::kube::WatchEventType::Deleted,
            pod(QStringLiteral("shop"), QStringLiteral("db-0"), QStringLiteral("node-2"), 0, {}));
        model.applyPending();
        QCOMPARE(proxy.rowCount(), 0);
    }

    void ageSortsByTimestampNotText()
    {
        PodTableModel model;
        PodSortProxyModel sorted(&model);
        PodFilterProxyModel proxy(&sorted);
        fill(model);
        int ageColumn = -1;
        for (int column = 0; column < model.columnCount(); ++column) {
            if (model.columnAt(column) == PodTableModel::AgeColumn)
                ageColumn = column;
        }
        QVERIFY(ageColumn >= 0);
        proxy.sort(ageColumn, Qt::AscendingOrder);
        // Youngest first: 40s, 5m, 1h, 2d (as text, "1h" < "2d" < "40s" < "5m").
        QCOMPARE(names(proxy),
            (QStringList {QStringLiteral("db-0"), QStringLiteral("web-0"), QStringLiteral("web-probe"),
                QStringLiteral("web-1")}));
    }

    void theFilterLayerKeepsTheOrderOfTheSortLayer()
    {
        PodTableModel model;
        PodSortProxyModel sorted(&model);
        PodFilterProxyModel proxy(&sorted);
        QAbstractItemModelTester tester(&proxy, QAbstractItemModelTester::FailureReportingMode::QtTest);
        fill(model);
        const int nameColumn = 1; // all namespaces: NAMESPACE, NAME, ...
        QCOMPARE(model.columnAt(nameColumn), PodTableModel::NameColumn);
        // Sorting asked of the filter layer (what the view's header does) sorts the layer below.
        proxy.sort(nameColumn, Qt::DescendingOrder);
        QCOMPARE(sorted.sortColumn(), nameColumn);
        QCOMPARE(sorted.sortOrder(), Qt::DescendingOrder);
        QCOMPARE(proxy.sortColumn(), -1);
        proxy.setFilterText(QStringLiteral("web"));
        QCOMPARE(names(proxy),
            (QStringList {QStringLiteral("web-probe"), QStringLiteral("web-1"), QStringLiteral("web-0")}));
        // A pod arriving later lands in its sorted place among the filtered ones.
        model.queueRow(podtap::kube::WatchEventType::Added,
            pod(QStringLiteral("shop"), QStringLiteral("web-00"), QStringLiteral("node-1"), 1, {}));
        model.applyPending();
        QCOMPARE(names(proxy),
            (QStringList {QStringLiteral("web-probe"), QStringLiteral("web-1"), QStringLiteral("web-00"),
                QStringLiteral("web-0")}));
        // The filter layer maps a table row to its own index through the sort layer.
        const int row = model.rowOf(QStringLiteral("shop/web-1"));
        QCOMPARE(proxy.indexOfPod(row).row(), 1);
        QCOMPARE(proxy.indexOfPod(model.rowOf(QStringLiteral("shop/db-0"))), QModelIndex());
    }

    void everyColumnSortsInSortRoleOrder()
    {
        // The proxy compares rows directly; the order must be the one SortRole's keys give.
        PodTableModel model;
        PodSortProxyModel sorted(&model);
        PodFilterProxyModel proxy(&sorted);
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const QStringList statuses {QStringLiteral("Running"), QStringLiteral("CrashLoopBackOff"),
            QStringLiteral("Pending"), QStringLiteral("Completed"), QStringLiteral("Error")};
        for (int i = 0; i < 60; ++i) {
            PodRow row = pod(QStringLiteral("ns-%1").arg(i % 7), QStringLiteral("pod-%1").arg((i * 37) % 60),
                i % 5 == 0 ? QString() : QStringLiteral("node-%1").arg(i % 4), i % 9 == 0 ? 0 : now - i * 997'000, {});
            row.status = statuses.at(i % statuses.size());
            row.restarts = (i * 13) % 7;
            row.totalContainers = i % 4;
            row.readyContainers = row.totalContainers == 0 ? 0 : i % (row.totalContainers + 1);
            row.podIp = i % 6 == 0 ? QString() : QStringLiteral("198.51.100.%1").arg((i * 7) % 250);
            model.queueRow(podtap::kube::WatchEventType::Added, row);
        }
        model.applyPending();
        for (int column = 0; column < model.columnCount(); ++column) {
            for (const Qt::SortOrder order : {Qt::AscendingOrder, Qt::DescendingOrder}) {
                proxy.sort(column, order);
                for (int row = 1; row < proxy.rowCount(); ++row) {
                    const QVariant before = proxy.index(row - 1, column).data(PodTableModel::SortRole);
                    const QVariant after = proxy.index(row, column).data(PodTableModel::SortRole);
                    const auto ordering = QVariant::compare(before, after);
                    QVERIFY2(order == Qt::AscendingOrder ? ordering <= 0 : ordering >= 0,
                        qPrintable(QStringLiteral("column %1 row %2: %3 then %4")
                                       .arg(column)
                                       .arg(row)
                                       .arg(before.toString(), after.toString())));
                }
            }
        }
    }
};

QTEST_MAIN(TestPodFilterProxyModel)
#include "tst_pod_filter_proxy_model.moc"
