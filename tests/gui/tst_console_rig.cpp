// SPDX-License-Identifier: Apache-2.0
#include "cluster/pod_table_model.h"
#include "main_window.h"
#include "models/pod_filter_proxy_model.h"
#include "models/session_table_model.h"
#include "named_child.h"
#include "rig_fixture.h"
#include "sessions_panel.h"
#include "support/privileged.h"
#include "tap_dialog.h"
#include "tap_session_handle.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>
#include <QTimer>

using namespace podtap;
using namespace podtap::gui;
using namespace podtap::test;

/// @brief The operator's click-through on kube-sim's rig: select a pod, tap it with tshark, watch
/// packets being counted in the session row and tshark's lines name the pod, stop, and find
/// nothing left in the cluster or on the machine. Also takes the README's screenshot.
class TestConsoleRig final : public QObject
{
    Q_OBJECT

private:
    RigFixture m_rig;

    template<typename T>
    static T *child(QObject &parent, const char *name)
    {
        return ::podtap::test::namedChild<T>(parent, name);
    }

private Q_SLOTS:
    void initTestCase()
    {
        PODTAP_REQUIRE_PRIVILEGED();
        QStandardPaths::setTestModeEnabled(true);
        QString error;
        QVERIFY2(m_rig.start(
                     {QStringLiteral("--nodes"), QStringLiteral("2"), QStringLiteral("--namespaces"),
                         QStringLiteral("2"), QStringLiteral("--pods"), QStringLiteral("8"), QStringLiteral("--seed"),
                         QStringLiteral("5"), QStringLiteral("--traffic-interval"), QStringLiteral("100")},
                     &error),
            qPrintable(error));
        // The console runs where an operator's machine would: in the rig's workstation namespace.
        // Threads and processes started from here on inherit it.
        QVERIFY2(enterNetworkNamespace(m_rig.workstationNetns(), &error), qPrintable(error));
    }

    void cleanupTestCase()
    {
        const QStringList left = m_rig.stop();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QStringLiteral("; "))));
    }

    void tapAPodWithTsharkAndStop()
    {
        const RigFixture::Pod target = m_rig.pods().first();
        MainWindowOptions options;
        options.kubeconfig.explicitPath = m_rig.kubeconfig();
        MainWindow window(options);
        window.setSessionFactory(&createTapSession);
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_VERIFY_WITH_TIMEOUT(window.podModel()->rowCount() >= m_rig.pods().size(), 20000);

        // Select the pod in the table.
        window.selectNamespace(target.ns);
        QTableView *view = window.podView();
        QModelIndex row;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (int r = 0; r < view->model()->rowCount(); ++r) {
                    const QModelIndex index = view->model()->index(r, 0);
                    if (index.data(cluster::PodTableModel::NameRole).toString() == target.name) {
                        row = index;
                        return true;
                    }
                }
                return false;
            }(),
            10000);
        view->setCurrentIndex(row);
        view->setFocus();

        // Enter opens the tap dialog; choose tshark and start.
        bool dialogSeen = false;
        QTimer::singleShot(0, this, [&] {
            auto *dialog = qobject_cast<TapDialog *>(QApplication::activeModalWidget());
            if (!dialog) {
                return;
            }
            dialogSeen = true;
            auto *tool = child<QComboBox>(*dialog, "tool");
            tool->setCurrentIndex(tool->findData(QStringLiteral("tshark")));
            QTest::mouseClick(child<QPushButton>(*dialog, "startButton"), Qt::LeftButton);
        });
        window.tapSelectedPod();
        QVERIFY2(dialogSeen, "the tap dialog should open for the selected pod");

        SessionsPanel *panel = window.sessionsPanel();
        SessionTableModel *sessions = panel->model();
        QCOMPARE(sessions->rowCount(), 1);
        const auto cell = [&](int column) { return sessions->index(0, column).data().toString(); };
        QTRY_VERIFY2_WITH_TIMEOUT(
            cell(SessionTableModel::StateColumn) == sessionStateName(SessionHandle::State::Running),
            qPrintable(cell(SessionTableModel::StateColumn)), 60000);
        QVERIFY2(cell(SessionTableModel::TargetColumn).contains(target.name),
            qPrintable(cell(SessionTableModel::TargetColumn)));
        // The agent's stats reach the row.
        QTRY_VERIFY2_WITH_TIMEOUT(
            sessions->index(0, SessionTableModel::PacketsColumn).data(SessionTableModel::SortRole).toLongLong() > 0,
            qPrintable(cell(SessionTableModel::PacketsColumn)), 60000);

        // The tap's own tshark ("Show tshark output") fills the pane, naming pods from podtap's hosts file.
        auto *output = child<QPlainTextEdit>(*panel, "tsharkOutput");
        QTRY_VERIFY2_WITH_TIMEOUT(output->isVisible() && output->toPlainText().contains(target.ref()),
            qPrintable(output->toPlainText().right(2000)), 30000);

        // Open tshark starts a fresh capture on the same interface, with the same names.
        auto *sessionsView = child<QAbstractItemView>(*panel, "sessionsView");
        sessionsView->setCurrentIndex(sessions->index(0, 0));
        QTest::mouseClick(child<QPushButton>(*panel, "openTshark"), Qt::LeftButton);
        QTRY_VERIFY2_WITH_TIMEOUT(
            output->toPlainText().startsWith(QStringLiteral("$ ")) && output->toPlainText().count(target.ref()) >= 2,
            qPrintable(output->toPlainText().right(2000)), 30000);

        QTest::qWait(300);
        const QImage shot = window.grab().toImage();
        QVERIFY(!shot.isNull());
        QVERIFY(shot.save(builtExecutable(QStringLiteral("console-tap.png"))));
        if (qEnvironmentVariableIntValue("PODTAP_UPDATE_SCREENSHOT") == 1) {
            QVERIFY(shot.save(qEnvironmentVariable("PODTAP_SOURCE_DIR") + QStringLiteral("/docs/console.png")));
        }

        // Stop: the row says so, and nothing is left in the cluster or on the machine.
        QTest::mouseClick(child<QPushButton>(*panel, "stopSession"), Qt::LeftButton);
        QTRY_VERIFY2_WITH_TIMEOUT(
            cell(SessionTableModel::StateColumn) == sessionStateName(SessionHandle::State::Stopped),
            qPrintable(cell(SessionTableModel::StateColumn)), 60000);
        QTRY_VERIFY2_WITH_TIMEOUT(
            m_rig.agentPods().isEmpty(), qPrintable(m_rig.agentPods().join(QLatin1Char(' '))), 20000);
        QVERIFY2(m_rig.podtapObjectsIn(target).isEmpty(),
            qPrintable(m_rig.podtapObjectsIn(target).join(QStringLiteral("; "))));
        const ProcessResult vxlan = run({QStringLiteral("ip"), QStringLiteral("-o"), QStringLiteral("link"),
            QStringLiteral("show"), QStringLiteral("type"), QStringLiteral("vxlan")});
        QVERIFY2(vxlan.out.trimmed().isEmpty(), vxlan.out.constData());
    }
};

QTEST_MAIN(TestConsoleRig)
#include "tst_console_rig.moc"
