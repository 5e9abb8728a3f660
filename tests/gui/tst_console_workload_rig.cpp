// SPDX-License-Identifier: Apache-2.0
#include "cluster/pod_table_model.h"
#include "main_window.h"
#include "models/session_table_model.h"
#include "named_child.h"
#include "rig_fixture.h"
#include "sessions_panel.h"
#include "support/privileged.h"
#include "tap_dialog.h"
#include "tap_session_handle.h"

#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>
#include <QTimer>
#include <QUdpSocket>

using namespace podtap;
using namespace podtap::gui;
using namespace podtap::test;

/// @brief The operator's click-through of a tap of several pods on kube-sim's rig: Ctrl-click three pods on three
/// nodes, tap them with tshark, watch each pod's child row count its mirrored packets and tshark's lines name the
/// pods, stop, and find nothing left. Also takes the README's screenshot of a tap of several pods.
class TestConsoleWorkloadRig final : public QObject
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
                     {QStringLiteral("--nodes"), QStringLiteral("3"), QStringLiteral("--namespaces"),
                         QStringLiteral("1"), QStringLiteral("--pods"), QStringLiteral("6"), QStringLiteral("--seed"),
                         QStringLiteral("5"), QStringLiteral("--traffic-interval"), QStringLiteral("100")},
                     &error),
            qPrintable(error));
        // The console runs where an operator's machine would: in the rig's workstation namespace.
        QVERIFY2(enterNetworkNamespace(m_rig.workstationNetns(), &error), qPrintable(error));
    }

    void cleanupTestCase()
    {
        const QStringList left = m_rig.stop();
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QStringLiteral("; "))));
    }

    void tapThreePodsOnThreeNodesWithTsharkAndStop()
    {
        // Three running rig pods, one per node.
        QList<RigFixture::Pod> picked;
        QSet<QString> nodes;
        for (const RigFixture::Pod &pod : m_rig.pods()) {
            if (!pod.netns.isEmpty() && !nodes.contains(pod.node) && picked.size() < 3) {
                nodes.insert(pod.node);
                picked << pod;
            }
        }
        QVERIFY2(picked.size() == 3, "the rig has no running pod on each of its three nodes");

        MainWindowOptions options;
        options.kubeconfig.explicitPath = m_rig.kubeconfig();
        MainWindow window(options);
        window.setSessionFactory(&createTapSession);
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_VERIFY_WITH_TIMEOUT(window.podModel()->rowCount() >= m_rig.pods().size(), 20000);
        window.selectNamespace(picked.first().ns);

        // Click the first, Ctrl-click the others.
        QTableView *view = window.podView();
        const auto rowOf = [view](const QString &name) {
            for (int r = 0; r < view->model()->rowCount(); ++r) {
                if (view->model()->index(r, 0).data(cluster::PodTableModel::NameRole).toString() == name)
                    return r;
            }
            return -1;
        };
        QStringList refs;
        for (const RigFixture::Pod &pod : std::as_const(picked)) {
            int row = -1;
            QTRY_VERIFY_WITH_TIMEOUT((row = rowOf(pod.name)) >= 0, 10000);
            const QModelIndex index = view->model()->index(row, 0);
            view->scrollTo(index);
            QTest::mouseClick(view->viewport(), Qt::LeftButton, refs.isEmpty() ? Qt::NoModifier : Qt::ControlModifier,
                view->visualRect(index).center());
            refs << pod.ref();
        }
        QStringList selected = window.selectedPods();
        selected.sort();
        QStringList expected = refs;
        expected.sort();
        QCOMPARE(selected, expected);

        // Tap: the dialog for three pods; Show tshark output, on a free port.
        bool dialogSeen = false;
        QTimer::singleShot(0, this, [&] {
            auto *dialog = qobject_cast<TapDialog *>(QApplication::activeModalWidget());
            if (!dialog)
                return;
            dialogSeen = dialog->isForSeveralPods();
            auto *tool = child<QComboBox>(*dialog, "tool");
            tool->setCurrentIndex(tool->findData(QStringLiteral("tshark")));
            QUdpSocket probe;
            probe.bind(QHostAddress::Any, 0);
            child<QLineEdit>(*dialog, "port")->setText(QString::number(probe.localPort()));
            probe.close();
            QTest::mouseClick(child<QPushButton>(*dialog, "startButton"), Qt::LeftButton);
        });
        window.tapSelectedPod();
        QVERIFY2(dialogSeen, "the tap dialog for several pods should open");

        SessionsPanel *panel = window.sessionsPanel();
        SessionTableModel *sessions = panel->model();
        QCOMPARE(sessions->rowCount(), 1);
        SessionHandle *session = sessions->sessionAt(0);
        const QModelIndex sessionRow = sessions->index(0, 0);
        const auto why = [&] {
            return session->failureSummary() + QLatin1Char(' ') + session->failureFix() + QLatin1Char(' ') +
                session->progressText() + QLatin1Char('\n') + session->memberEvents().join(QLatin1Char('\n'));
        };
        QTRY_VERIFY2_WITH_TIMEOUT(
            session->state() == SessionHandle::State::Running || session->state() == SessionHandle::State::Failed,
            qPrintable(why()), 90000);
        QCOMPARE(session->state(), SessionHandle::State::Running);
        QCOMPARE(sessions->rowCount(sessionRow), 3);
        QCOMPARE(m_rig.agentPods().size(), 3);

        // Every pod's row is tapped and counts its own mirrored packets.
        const auto everyPodCounts = [&] {
            for (const SessionHandle::Member &member : session->members()) {
                if (member.health != SessionHandle::Member::Health::Tapped || member.mirroredPackets <= 0)
                    return false;
            }
            return session->members().size() == 3;
        };
        QTRY_VERIFY2_WITH_TIMEOUT(everyPodCounts(), qPrintable(why()), 60000);
        for (int row = 0; row < 3; ++row) {
            QVERIFY(sessions->index(row, SessionTableModel::PacketsColumn, sessionRow)
                        .data(SessionTableModel::SortRole)
                        .toLongLong() > 0);
        }
        auto *events = child<QLabel>(*panel, "memberEvents");
        QVERIFY2(
            events->isVisible() && events->text().contains(QStringLiteral(" tapped on ")), qPrintable(events->text()));

        // The tap's own tshark fills the pane, naming the pods.
        auto *output = child<QPlainTextEdit>(*panel, "tsharkOutput");
        QTRY_VERIFY2_WITH_TIMEOUT(output->isVisible() &&
                std::all_of(
                    refs.begin(), refs.end(), [&](const QString &ref) { return output->toPlainText().contains(ref); }),
            qPrintable(output->toPlainText().right(2000)), 60000);

        QTest::qWait(300);
        const QImage shot = window.grab().toImage();
        QVERIFY(!shot.isNull());
        QVERIFY(shot.save(builtExecutable(QStringLiteral("console-workload-tap.png"))));
        if (qEnvironmentVariableIntValue("PODTAP_UPDATE_SCREENSHOT") == 1) {
            QVERIFY(shot.save(qEnvironmentVariable("PODTAP_SOURCE_DIR") + QStringLiteral("/docs/console-pods.png")));
        }

        // Stop: the session ends, and nothing is left in the cluster or on the machine.
        QTest::mouseClick(child<QPushButton>(*panel, "stopSession"), Qt::LeftButton);
        QTRY_VERIFY2_WITH_TIMEOUT(session->state() == SessionHandle::State::Stopped, qPrintable(why()), 60000);
        QTRY_VERIFY2_WITH_TIMEOUT(
            m_rig.agentPods().isEmpty(), qPrintable(m_rig.agentPods().join(QLatin1Char(' '))), 20000);
        for (const RigFixture::Pod &pod : std::as_const(picked)) {
            QTRY_VERIFY2_WITH_TIMEOUT(m_rig.podtapObjectsIn(pod).isEmpty(),
                qPrintable(m_rig.podtapObjectsIn(pod).join(QStringLiteral("; "))), 10000);
        }
    }
};

QTEST_MAIN(TestConsoleWorkloadRig)
#include "tst_console_workload_rig.moc"
