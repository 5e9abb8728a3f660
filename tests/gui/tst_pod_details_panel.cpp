// SPDX-License-Identifier: Apache-2.0
#include "cluster/pod_table_model.h"
#include "pod_details_panel.h"

#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QStandardPaths>
#include <QTest>
#include <QTreeWidget>

using podtap::cluster::PodTableModel;
using podtap::gui::PodDetailsPanel;

namespace {

QJsonObject pod(const QByteArray &containerStatuses)
{
    return QJsonDocument::fromJson(R"({"kind":"Pod",
        "metadata":{"uid":"u1","namespace":"shop","name":"web-0","creationTimestamp":"2026-01-01T00:00:00Z",
                    "labels":{"app":"web"}},
        "spec":{"nodeName":"node-1","initContainers":[{"name":"migrate"}],
                "containers":[{"name":"app"},{"name":"side"},{"name":"job"}]},
        "status":{"phase":"Running","podIP":"203.0.113.7",
                  "conditions":[{"type":"Initialized","status":"True"}],
                  "initContainerStatuses":[{"name":"migrate","restartCount":0,
                      "state":{"terminated":{"reason":"Completed","exitCode":0}}}],
                  "containerStatuses":)" +
        containerStatuses + "}}")
        .object();
}

QStringList rowText(QTreeWidget *tree, int row)
{
    QStringList cells;
    for (int column = 0; column < tree->columnCount(); ++column)
        cells << tree->topLevelItem(row)->text(column);
    return cells;
}

} // namespace

/// @brief The details panel lists each container with its state, readiness and restarts, and follows changes.
class TestPodDetailsPanel final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void showsContainersAndTheirState()
    {
        PodTableModel model;
        model.beginRelist();
        model.addListPage(QJsonArray {pod(R"([
            {"name":"app","ready":true,"restartCount":2,"state":{"running":{}}},
            {"name":"side","ready":false,"restartCount":7,"state":{"waiting":{"reason":"CrashLoopBackOff"}}},
            {"name":"job","ready":false,"restartCount":0,"state":{"terminated":{"reason":"OOMKilled","exitCode":137}}}
            ])")});
        model.endRelist();
        QCOMPARE(model.rowCount(), 1);

        PodDetailsPanel panel;
        panel.resize(420, 700);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        auto *tree = panel.findChild<QTreeWidget *>(QStringLiteral("podContainerList"));
        QVERIFY(tree);
        QVERIFY(!tree->isVisible()); // nothing selected yet

        panel.setPod(model.index(0, PodTableModel::StatusColumn));
        QVERIFY(tree->isVisible());
        QCOMPARE(tree->topLevelItemCount(), 4);
        QCOMPARE(rowText(tree, 0),
            (QStringList {QStringLiteral("migrate (init)"), QStringLiteral("Terminated: Completed (exit 0)"),
                QStringLiteral("no"), QStringLiteral("0")}));
        QCOMPARE(rowText(tree, 1),
            (QStringList {
                QStringLiteral("app"), QStringLiteral("Running"), QStringLiteral("yes"), QStringLiteral("2")}));
        QCOMPARE(rowText(tree, 2),
            (QStringList {QStringLiteral("side"), QStringLiteral("Waiting: CrashLoopBackOff"), QStringLiteral("no"),
                QStringLiteral("7")}));
        QCOMPARE(rowText(tree, 3),
            (QStringList {QStringLiteral("job"), QStringLiteral("Terminated: OOMKilled (exit 137)"),
                QStringLiteral("no"), QStringLiteral("0")}));
        // Coloured like the status column: a crash loop is red, a running ready container green.
        QCOMPARE(tree->topLevelItem(2)->foreground(1).color(), QColor(QStringLiteral("#c62828")));
        QCOMPARE(tree->topLevelItem(1)->foreground(1).color(), QColor(QStringLiteral("#2e7d32")));
        // Every container is visible without scrolling.
        QVERIFY(tree->visualItemRect(tree->topLevelItem(3)).bottom() <= tree->viewport()->height());
        auto *summary = panel.findChild<QLabel *>(QStringLiteral("podContainers"));
        QVERIFY(summary);
        QVERIFY2(summary->text().contains(QStringLiteral("1 of 3 ready")), qPrintable(summary->text()));

        // The container recovers: the panel follows the row.
        model.queueEvent(podtap::kube::WatchEventType::Modified, pod(R"([
            {"name":"app","ready":true,"restartCount":2,"state":{"running":{}}},
            {"name":"side","ready":true,"restartCount":8,"state":{"running":{}}},
            {"name":"job","ready":false,"restartCount":0,"state":{"terminated":{"reason":"Completed","exitCode":0}}}
            ])"));
        model.applyPending();
        panel.refresh();
        QCOMPARE(rowText(tree, 2),
            (QStringList {
                QStringLiteral("side"), QStringLiteral("Running"), QStringLiteral("yes"), QStringLiteral("8")}));
        QCOMPARE(rowText(tree, 3).at(1), QStringLiteral("Terminated: Completed (exit 0)"));

        panel.setPod({});
        QVERIFY(!tree->isVisible());
    }
};

QTEST_MAIN(TestPodDetailsPanel)
#include "tst_pod_details_panel.moc"
