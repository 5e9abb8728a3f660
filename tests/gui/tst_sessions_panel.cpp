// SPDX-License-Identifier: Apache-2.0
#include "common/duration_format.h"
#include "models/session_table_model.h"
#include "named_child.h"
#include "session_handle.h"
#include "sessions_panel.h"
#include "widgets/fix_view.h"

#include <QAbstractItemModelTester>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>

using podtap::gui::SessionHandle;
using podtap::gui::SessionsPanel;
using podtap::gui::SessionTableModel;
using State = podtap::gui::SessionHandle::State;

namespace {

/// Stands in for a running tap: stop() goes through Stopping and finishes only when told.
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

/// A tap whose stream viewers attach to: openViewer() starts a stand-in viewer that prints packet lines.
class FakeStreamSession final : public SessionHandle
{
public:
    using SessionHandle::SessionHandle;
    QProcess *openViewer(podtap::CaptureTool tool, QString *error) override
    {
        tools << tool;
        if (refuse) {
            *error = QStringLiteral("tshark was not found");
            return nullptr;
        }
        auto *process = new QProcess(this);
        process->start(QStringLiteral("printf"), {QStringLiteral("1 0.000 shop/web-0 -> 203.0.113.2 UDP\\n")});
        process->waitForStarted();
        return process;
    }
    QList<podtap::CaptureTool> tools;
    bool refuse = false;
};

} // namespace

/// @brief The Sessions panel shows each tap's state and counters and stops taps on request.
class TestSessionsPanel final : public QObject
{
    Q_OBJECT

private:
    static QString cell(const SessionTableModel &model, int row, int column)
    {
        return model.index(row, column).data().toString();
    }
    template<typename T>
    static T *child(SessionsPanel &panel, const char *name)
    {
        return ::podtap::test::namedChild<T>(panel, name);
    }

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void rowsFollowTheSession()
    {
        SessionTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto *session = new FakeSession(QStringLiteral("shop/web-0/eth0"), QStringLiteral("local"));
        model.addSession(session);
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(cell(model, 0, SessionTableModel::TargetColumn), QStringLiteral("shop/web-0/eth0"));
        QCOMPARE(cell(model, 0, SessionTableModel::DestinationColumn), QStringLiteral("local"));

        session->reportProgress(QStringLiteral("Creating the sender pod on node-1"));
        QCOMPARE(cell(model, 0, SessionTableModel::StateColumn),
            QStringLiteral("Preparing: Creating the sender pod on node-1"));

        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        session->reportState(State::Running);
        session->reportStats({1234, 2'500'000, 3});
        QVERIFY(changed.size() >= 2);
        QCOMPARE(cell(model, 0, SessionTableModel::StateColumn), QStringLiteral("Running"));
        QCOMPARE(model.index(0, SessionTableModel::PacketsColumn).data(SessionTableModel::SortRole).toLongLong(), 1234);
        QCOMPARE(cell(model, 0, SessionTableModel::BytesColumn), QStringLiteral("2.5 MB"));
        QCOMPARE(cell(model, 0, SessionTableModel::DropsColumn), QStringLiteral("3"));
        QCOMPARE(model.activeCount(), 1);

        session->reportState(State::Stopped);
        QCOMPARE(model.activeCount(), 0);
        model.removeFinished();
        QCOMPARE(model.rowCount(), 0);
    }

    // "local" may run through the API server: the row says which path runs, and its tooltip why.
    void rowSaysWhichPathRunsAndWhy()
    {
        SessionTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        auto *session = new FakeSession(QStringLiteral("shop/web-0/eth0"), QStringLiteral("local"));
        model.addSession(session);
        session->reportState(State::Running);
        session->reportDataPath(QStringLiteral("tunnel"), QStringLiteral("tunnel: VXLAN from node node-1"));
        QCOMPARE(cell(model, 0, SessionTableModel::DestinationColumn), QStringLiteral("local (tunnel)"));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        const QString why = QStringLiteral("tunnel: no packet from node node-1 (192.0.2.11) in 5 s although the agent "
                                           "mirrored 12; streaming through the API server instead");
        session->reportDataPath(QStringLiteral("stream via API server"), why);
        QVERIFY(changed.size() >= 1);
        QCOMPARE(cell(model, 0, SessionTableModel::DestinationColumn), QStringLiteral("local (stream via API server)"));
        // The tooltip keeps the text literal (non-breaking spaces, escaped).
        const QString tip = model.index(0, SessionTableModel::DestinationColumn)
                                .data(Qt::ToolTipRole)
                                .toString()
                                .replace(QChar(0xA0), QLatin1Char(' '));
        QVERIFY2(tip.contains(QStringLiteral("although the agent mirrored 12")), qPrintable(tip));
    }

    void elapsedIsFormattedForPeople()
    {
        // One duration format for podtap, kubectl's (common/duration_format.h).
        QCOMPARE(podtap::humanDuration(42 * 1000), QStringLiteral("42s"));
        QCOMPARE(podtap::humanDuration(187 * 1000), QStringLiteral("3m7s"));
        QCOMPARE(podtap::humanDuration(3720 * 1000), QStringLiteral("62m"));
    }

    void stopButtonsStopTaps()
    {
        SessionsPanel panel;
        auto *first = new FakeSession(QStringLiteral("shop/web-0/eth0"), QStringLiteral("local"));
        auto *second = new FakeSession(QStringLiteral("shop/web-1/eth0"), QStringLiteral("node:node-2"));
        panel.addSession(first);
        panel.addSession(second);
        first->reportState(State::Running);
        second->reportState(State::Running);
        QCOMPARE(panel.selectedSession(), second);
        QVERIFY(child<QPushButton>(panel, "stopSession")->isEnabled());
        // The tunnel ends on another node: nothing to open here.
        QVERIFY(!child<QPushButton>(panel, "openWireshark")->isEnabled());

        QTest::mouseClick(child<QPushButton>(panel, "stopSession"), Qt::LeftButton);
        QCOMPARE(second->stops, 1);
        QCOMPARE(first->stops, 0);
        QVERIFY(!child<QPushButton>(panel, "stopSession")->isEnabled());

        QSignalSpy allStopped(&panel, &SessionsPanel::allStopped);
        QTest::mouseClick(child<QPushButton>(panel, "stopAllSessions"), Qt::LeftButton);
        QCOMPARE(first->stops, 1);
        QCOMPARE(second->stops, 1); // already stopping: not asked twice
        first->reportState(State::Stopped);
        QVERIFY(allStopped.isEmpty());
        second->reportState(State::Stopped);
        QCOMPARE(allStopped.size(), 1);
        QVERIFY(!child<QPushButton>(panel, "stopAllSessions")->isEnabled());
    }

    void localRunningTapCanBeOpened()
    {
        SessionsPanel panel;
        auto *session = new FakeSession(QStringLiteral("shop/web-0/eth0"), QStringLiteral("local"));
        panel.addSession(session);
        QVERIFY(!child<QPushButton>(panel, "openWireshark")->isEnabled());
        session->setCaptureInterface(QStringLiteral("ptap4242"));
        session->reportState(State::Running);
        QVERIFY(child<QPushButton>(panel, "openWireshark")->isEnabled());
        QVERIFY(child<QPushButton>(panel, "openTshark")->isEnabled());
    }

    // A userspace tap has no interface: the buttons attach a viewer to its stream, and tshark's lines fill the pane.
    void userspaceTapAttachesViewersToItsStream()
    {
        SessionsPanel panel;
        auto *session = new FakeStreamSession(QStringLiteral("shop/web-0/eth0"), QStringLiteral("local"));
        panel.addSession(session);
        session->reportState(State::Running);
        QVERIFY(!child<QPushButton>(panel, "openTshark")->isEnabled());
        session->setAttachesViewers(true);
        QVERIFY(child<QPushButton>(panel, "openTshark")->isEnabled());
        QVERIFY(child<QPushButton>(panel, "openWireshark")->isEnabled());

        QTest::mouseClick(child<QPushButton>(panel, "openTshark"), Qt::LeftButton);
        auto *output = child<QPlainTextEdit>(panel, "tsharkOutput");
        QTRY_VERIFY2(output->toPlainText().contains(QStringLiteral("shop/web-0 -> 203.0.113.2")),
            qPrintable(output->toPlainText()));
        QVERIFY(output->toPlainText().startsWith(QStringLiteral("$ printf")));
        QVERIFY(!output->isHidden());
        QVERIFY(output->minimumHeight() >= 3 * output->fontMetrics().lineSpacing());
        QVERIFY(panel.findChild<QSplitter *>(QStringLiteral("sessionsSplitter")));

        session->refuse = true;
        QTest::mouseClick(child<QPushButton>(panel, "openWireshark"), Qt::LeftButton);
        QCOMPARE(
            session->tools, (QList<podtap::CaptureTool> {podtap::CaptureTool::Tshark, podtap::CaptureTool::Wireshark}));
        auto *fix = panel.findChild<podtap::gui::FixView *>();
        QVERIFY(fix && fix->isVisibleTo(&panel));
    }

    void ownCaptureLinesShowForTheSelectedSession()
    {
        SessionsPanel panel;
        auto *first = new FakeSession(QStringLiteral("shop/web-0/eth0"), QStringLiteral("local"));
        auto *second = new FakeSession(QStringLiteral("shop/web-1/eth0"), QStringLiteral("local"));
        panel.addSession(first);
        panel.addSession(second); // selected now
        auto *output = child<QPlainTextEdit>(panel, "tsharkOutput");
        QVERIFY(output->isHidden());
        first->reportCaptureLine(QStringLiteral("1 0.000 shop/web-0 → 203.0.113.2 UDP"));
        QVERIFY2(output->isHidden(), "lines of a session that is not selected stay out of the pane");
        second->reportCaptureLine(QStringLiteral("1 0.000 shop/web-1 → 203.0.113.3 UDP"));
        second->reportCaptureLine(QStringLiteral("2 0.100 203.0.113.3 → shop/web-1 UDP"));
        QVERIFY(!output->isHidden());
        QCOMPARE(output->toPlainText(),
            QStringLiteral("1 0.000 shop/web-1 → 203.0.113.3 UDP\n2 0.100 203.0.113.3 → shop/web-1 UDP"));
    }

    void failureShowsItsFixAsCopyableText()
    {
        SessionsPanel panel;
        panel.show();
        auto *session = new FakeSession(QStringLiteral("shop/web-0/eth0"), QStringLiteral("local"));
        panel.addSession(session);
        const QString fix = QStringLiteral("kubectl label ns podtap pod-security.kubernetes.io/enforce=privileged");
        session->reportFailure(QStringLiteral("Pod Security refused the sender pod in namespace podtap."), fix);
        auto *fixView = child<podtap::gui::FixView>(panel, "fixView");
        QVERIFY(fixView->isVisible());
        QVERIFY(fixView->summary().contains(QStringLiteral("Pod Security")));
        QCOMPARE(fixView->fix(), fix);
        QVERIFY(child<QPlainTextEdit>(panel, "fixText")->isReadOnly());
        QCOMPARE(panel.model()->index(0, 0).data().toString(), QStringLiteral("Failed"));
    }
};

QTEST_MAIN(TestSessionsPanel)
#include "tst_sessions_panel.moc"
