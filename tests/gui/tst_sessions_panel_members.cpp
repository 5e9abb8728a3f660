// SPDX-License-Identifier: Apache-2.0
// A tap of several pods in the Sessions panel, fed by hand through SessionHandle: one row for the tap, a child
// row per pod with its own state and counts, and the pods that come and go where the operator sees them.
#include "models/session_table_model.h"
#include "session_handle.h"
#include "sessions_panel.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTest>

using podtap::gui::SessionHandle;
using podtap::gui::SessionsPanel;
using podtap::gui::SessionTableModel;
using Member = podtap::gui::SessionHandle::Member;
using Health = podtap::gui::SessionHandle::Member::Health;
using State = podtap::gui::SessionHandle::State;

namespace {

class FakeSession final : public SessionHandle
{
public:
    using SessionHandle::SessionHandle;
    void stop() override
    {
        ++stops;
        reportState(State::Stopping);
    }
    int stops = 0;
};

Member member(const QString &key, const QString &node, Health health, qint64 packets = 0)
{
    Member result;
    result.key = key;
    result.node = node;
    result.health = health;
    result.stateText = health == Health::Tapped ? QStringLiteral("Tapped")
        : health == Health::Pending             ? QStringLiteral("Starting")
        : health == Health::Ended               ? QStringLiteral("Gone: deleted")
                                                : QStringLiteral("Failed: no such container");
    result.mirroredPackets = packets;
    result.mirroredBytes = packets * 100;
    result.capturedPackets = packets;
    result.capturedBytes = packets * 100;
    return result;
}

QString cell(const QAbstractItemModel &model, const QModelIndex &parent, int row, int column)
{
    return model.index(row, column, parent).data().toString();
}

} // namespace

/// @brief A tap of several pods shows one row with a child row per pod, and says which pods came and went.
class TestSessionsPanelMembers final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void childRowsFollowThePods()
    {
        SessionTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto *single = new FakeSession(QStringLiteral("shop/web-0/eth0"), QStringLiteral("local"));
        auto *workload =
            new FakeSession(QStringLiteral("3 pods: shop/cart-a, shop/cart-b, web/cart-c"), QStringLiteral("local"));
        model.addSession(single);
        model.addSession(workload);
        QCOMPARE(model.rowCount(), 2);
        const QModelIndex parent = model.index(1, 0);
        QCOMPARE(model.rowCount(parent), 0);
        QVERIFY(!model.hasChildren(model.index(0, 0)));

        QSignalSpy inserted(&model, &QAbstractItemModel::rowsInserted);
        workload->reportMembers({member(QStringLiteral("shop/cart-a"), QStringLiteral("node-001"), Health::Pending),
            member(QStringLiteral("shop/cart-b"), QStringLiteral("node-002"), Health::Pending)});
        QCOMPARE(inserted.size(), 1);
        QCOMPARE(model.rowCount(parent), 2);
        QCOMPARE(cell(model, parent, 1, SessionTableModel::TargetColumn), QStringLiteral("shop/cart-b"));
        QCOMPARE(cell(model, parent, 1, SessionTableModel::DestinationColumn), QStringLiteral("node-002"));
        QCOMPARE(cell(model, parent, 1, SessionTableModel::StateColumn), QStringLiteral("Starting"));
        QCOMPARE(model.sessionOf(model.index(1, 0, parent)), workload);
        QCOMPARE(model.memberAt(model.index(1, 0, parent))->key, QStringLiteral("shop/cart-b"));
        QCOMPARE(model.memberAt(model.index(1, 0)), nullptr);

        // A third pod joins, the first two are tapped and count.
        workload->reportState(State::Running);
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        workload->reportMembers({member(QStringLiteral("shop/cart-a"), QStringLiteral("node-001"), Health::Tapped, 12),
            member(QStringLiteral("shop/cart-b"), QStringLiteral("node-002"), Health::Tapped, 7),
            member(QStringLiteral("web/cart-c"), QStringLiteral("node-003"), Health::Pending)});
        QCOMPARE(model.rowCount(parent), 3);
        QVERIFY(!changed.isEmpty());
        QCOMPARE(cell(model, parent, 0, SessionTableModel::PacketsColumn), QStringLiteral("12"));
        QCOMPARE(
            model.index(1, SessionTableModel::PacketsColumn, parent).data(SessionTableModel::SortRole).toLongLong(), 7);
        QCOMPARE(cell(model, parent, 1, SessionTableModel::BytesColumn), QStringLiteral("700 bytes"));
        QCOMPARE(cell(model, parent, 2, SessionTableModel::TargetColumn), QStringLiteral("web/cart-c"));
        QCOMPARE(
            cell(model, {}, 1, SessionTableModel::StateColumn), QStringLiteral("Running: 2 pods tapped, 1 waiting"));
        // The single-pod tap's row says what it said before.
        single->reportState(State::Running);
        QCOMPARE(cell(model, {}, 0, SessionTableModel::StateColumn), QStringLiteral("Running"));

        // A pod goes, one fails: their rows stay, with their last counts, and the tap's row sums up.
        workload->reportMembers({member(QStringLiteral("shop/cart-a"), QStringLiteral("node-001"), Health::Ended, 15),
            member(QStringLiteral("shop/cart-b"), QStringLiteral("node-002"), Health::Tapped, 9),
            member(QStringLiteral("web/cart-c"), QStringLiteral("node-003"), Health::Failed)});
        QCOMPARE(cell(model, parent, 0, SessionTableModel::StateColumn), QStringLiteral("Gone: deleted"));
        QCOMPARE(cell(model, parent, 0, SessionTableModel::PacketsColumn), QStringLiteral("15"));
        QCOMPARE(cell(model, {}, 1, SessionTableModel::StateColumn),
            QStringLiteral("Running: 1 pod tapped, 1 ended, 1 failed"));
        const QString tip = model.index(1, SessionTableModel::PacketsColumn, parent).data(Qt::ToolTipRole).toString();
        QVERIFY2(
            tip.contains(QStringLiteral("node-002")) && tip.contains(QStringLiteral("9 packets")), qPrintable(tip));

        // Fewer members (a handle may forget pods): rows go, the model stays consistent.
        workload->reportMembers({member(QStringLiteral("shop/cart-b"), QStringLiteral("node-002"), Health::Tapped, 9)});
        QCOMPARE(model.rowCount(parent), 1);
        QCOMPARE(cell(model, parent, 0, SessionTableModel::TargetColumn), QStringLiteral("shop/cart-b"));

        // Finished taps go with their child rows.
        single->reportState(State::Stopped);
        QCOMPARE(model.rowCount(), 2);
        model.removeFinished();
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.sessionAt(0), workload);
        QCOMPARE(model.rowCount(model.index(0, 0)), 1);
        workload->reportState(State::Stopped);
        model.removeFinished();
        QCOMPARE(model.rowCount(), 0);
    }

    void panelShowsPodsAndTheirEventsAndStopsTheWholeTap()
    {
        SessionsPanel panel;
        panel.show();
        auto *single = new FakeSession(QStringLiteral("shop/web-0/eth0"), QStringLiteral("local"));
        auto *workload = new FakeSession(QStringLiteral("2 pods: shop/cart-a, shop/cart-b"), QStringLiteral("local"));
        panel.addSession(single);
        panel.addSession(workload);
        workload->reportState(State::Running);
        workload->reportMembers({member(QStringLiteral("shop/cart-a"), QStringLiteral("node-001"), Health::Tapped, 3),
            member(QStringLiteral("shop/cart-b"), QStringLiteral("node-002"), Health::Tapped, 4)});

        // The view may sort: its rows are found through its proxy.
        auto *viewModel = qobject_cast<QSortFilterProxyModel *>(panel.view()->model());
        QVERIFY(viewModel);
        const QModelIndex tapRow = viewModel->mapFromSource(panel.model()->index(panel.model()->rowOf(workload), 0));
        QCOMPARE(viewModel->rowCount(tapRow), 2);
        QVERIFY2(panel.view()->isExpanded(tapRow), "a tap's pods show without a click");

        // Its pods' events: below the tree while the tap is selected, and in its row's tooltip.
        auto *events = panel.findChild<QLabel *>(QStringLiteral("memberEvents"));
        QVERIFY(events);
        QVERIFY(!events->isVisible());
        QSignalSpy announced(&panel, &SessionsPanel::memberEvent);
        workload->reportMemberEvent(QStringLiteral("+shop/cart-a tapped on node-001"));
        workload->reportMemberEvent(QStringLiteral("-shop/cart-b gone"));
        QCOMPARE(announced.size(), 2);
        QCOMPARE(announced.last().at(1).toString(), QStringLiteral("-shop/cart-b gone"));
        QCOMPARE(panel.selectedSession(), workload);
        QVERIFY(events->isVisible());
        QCOMPARE(events->text(), QStringLiteral("+shop/cart-a tapped on node-001\n-shop/cart-b gone"));
        const QString tip =
            viewModel->index(tapRow.row(), SessionTableModel::TargetColumn).data(Qt::ToolTipRole).toString();
        QVERIFY2(tip.contains(QStringLiteral("gone")), qPrintable(tip));

        // Another tap selected: its (no) events.
        panel.view()->selectRow(viewModel->mapFromSource(panel.model()->index(panel.model()->rowOf(single), 0)).row());
        QCOMPARE(panel.selectedSession(), single);
        QVERIFY(!events->isVisible());

        // A pod's child row selected: the buttons act on its tap.
        panel.view()->setCurrentIndex(viewModel->index(1, 0, tapRow));
        QCOMPARE(panel.selectedSession(), workload);
        QVERIFY(events->isVisible());
        auto *stop = panel.findChild<QPushButton *>(QStringLiteral("stopSession"));
        QVERIFY(stop->isEnabled());
        QTest::mouseClick(stop, Qt::LeftButton);
        QCOMPARE(workload->stops, 1);
        QCOMPARE(single->stops, 0);
        single->reportState(State::Stopped);
        workload->reportState(State::Stopped);
    }
};

QTEST_MAIN(TestSessionsPanelMembers)
#include "tst_sessions_panel_members.moc"
