// SPDX-License-Identifier: Apache-2.0
#include "cluster/pod_table_model.h"
#include "kube/sim_fixture.h"
#include "main_window.h"
#include "models/pod_filter_proxy_model.h"
#include "models/session_table_model.h"
#include "named_child.h"
#include "session_handle.h"
#include "sessions_panel.h"
#include "support/process.h"
#include "tap/agent_namespace.h"
#include "tap/agent_pod_spec.h"
#include "tap/session_id.h"
#include "tap/session_sweep.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <functional>

using podtap::cluster::PodTableModel;
using podtap::gui::MainWindow;
using podtap::gui::MainWindowOptions;
using podtap::gui::SessionHandle;

namespace {

// One usable context (an unreachable local port) and one whose cluster entry is missing.
const char kTwoContexts[] = R"(apiVersion: v1
kind: Config
current-context: good
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:9
contexts:
- name: good
  context: {cluster: local, user: me, namespace: shop}
- name: broken
  context: {cluster: nowhere, user: me}
users:
- name: me
  user: {token: not-a-real-token}
)";

/// Stands in for a running tap of this console: only its session ID and state matter here.
class FakeSession final : public SessionHandle
{
public:
    FakeSession(const QString &sessionId, const QString &target)
        : SessionHandle(target, QStringLiteral("local"))
    {
        setSessionId(sessionId);
        reportState(State::Running);
    }
    void stop() override
    {
        ++stops;
        reportState(State::Stopping);
    }
    int stops = 0;
};

/// Creates a sender pod in the podtap namespace the way TapSession labels and annotates it, with
/// its last heartbeat @p heartbeatAgeSeconds ago. Returns the pod's name.
QString createAgentPod(
    podtap::kube::KubeClient &client, const QString &sessionId, const QString &node, int heartbeatAgeSeconds)
{
    podtap::TapPlan plan;
    plan.sessionId = sessionId;
    plan.targetNamespace = QStringLiteral("shop");
    plan.targetPod = QStringLiteral("web-%1").arg(sessionId.left(4));
    plan.targetNode = node;
    plan.targetNodeIp = QStringLiteral("192.0.2.11");
    plan.containerId = QStringLiteral("containerd://0123456789abcdef");
    plan.destinationIp = QStringLiteral("192.0.2.10");
    plan.vni = 4242;
    plan.heartbeat = QDateTime::currentDateTimeUtc().addSecs(-heartbeatAgeSeconds);
    podtap::kube::KubeReply *reply = podtap::test::waitFor(client.create(
        podtap::kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap")), podtap::senderPod(plan)));
    if (!reply->ok())
        qWarning("creating agent pod for session %s: %s", qPrintable(sessionId), qPrintable(reply->error().toString()));
    return reply->ok() ? podtap::agentPodName(plan.targetPod, sessionId, podtap::AgentRole::Sender) : QString();
}

/// Names of the podtap pods the API server still has (not counting those being deleted).
QStringList agentPodNames(podtap::kube::KubeClient &client)
{
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("labelSelector"), podtap::podtapPodSelector());
    podtap::kube::KubeReply *reply = podtap::test::waitFor(
        client.get(podtap::kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap")), query));
    QStringList names;
    for (const QJsonValue &pod : reply->json().value(QLatin1String("items")).toArray()) {
        const QJsonObject metadata = pod.toObject().value(QLatin1String("metadata")).toObject();
        if (!metadata.contains(QLatin1String("deletionTimestamp")))
            names << metadata.value(QLatin1String("name")).toString();
    }
    names.sort();
    return names;
}

/// Runs @p handle on the next modal window to open (polling, with a deadline), from inside its
/// event loop; @p seen is set when it ran.
void onNextModal(std::function<void(QWidget *)> handle, bool *seen, int attempts = 250)
{
    QTimer::singleShot(20, qApp, [handle = std::move(handle), seen, attempts]() mutable {
        if (QWidget *modal = QApplication::activeModalWidget(); modal && modal->isVisible()) {
            *seen = true;
            handle(modal);
        } else if (attempts > 0) {
            onNextModal(std::move(handle), seen, attempts - 1);
        }
    });
}

} // namespace

/// @brief The console's main window: contexts (broken ones inline), and live pods from a cluster.
class TestMainWindow final : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    QString writeKubeconfig(const QByteArray &text)
    {
        const QString path = m_dir.filePath(QStringLiteral("kubeconfig-%1").arg(QDateTime::currentMSecsSinceEpoch()));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(text) != text.size())
            qFatal("cannot write %s", qPrintable(path));
        return path;
    }

    static MainWindowOptions optionsFor(const QString &kubeconfig)
    {
        MainWindowOptions options;
        options.kubeconfig.explicitPath = kubeconfig;
        options.kubeconfig.allowInCluster = false;
        return options;
    }

    template<typename T>
    static T *child(MainWindow &window, const char *name)
    {
        return ::podtap::test::namedChild<T>(window, name);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_dir.isValid());
    }

    void init() { QSettings().clear(); }

    void opensWithTitleAndVersion()
    {
        MainWindow window(optionsFor(m_dir.filePath(QStringLiteral("missing"))));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVERIFY(window.windowTitle().startsWith(QStringLiteral("podtap")));
        QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("podtap 0.")));
        QVERIFY(!window.windowIcon().isNull());
        // No kubeconfig is not fatal: the window says what to do.
        QVERIFY(child<QLabel>(window, "contextError")->isVisibleTo(&window));
        QVERIFY(child<QLabel>(window, "contextError")->text().contains(QStringLiteral("missing")));
    }

    void brokenContextIsListedWithItsErrorInline()
    {
        MainWindow window(optionsFor(writeKubeconfig(kTwoContexts)));
        window.show();
        auto *combo = child<QComboBox>(window, "contextCombo");
        QCOMPARE(combo->count(), 2);
        QCOMPARE(window.currentContext(), QStringLiteral("good"));
        const int brokenRow = combo->findData(QStringLiteral("broken"));
        QVERIFY(brokenRow >= 0);
        QVERIFY2(
            combo->itemText(brokenRow).contains(QStringLiteral("unusable")), qPrintable(combo->itemText(brokenRow)));
        QVERIFY(!child<QLabel>(window, "contextError")->isVisibleTo(&window));

        window.switchContext(QStringLiteral("broken"));
        auto *error = child<QLabel>(window, "contextError");
        QVERIFY(error->isVisibleTo(&window));
        QVERIFY2(error->text().contains(QStringLiteral("nowhere")), qPrintable(error->text()));
        QCOMPARE(child<QLabel>(window, "connectionState")->text(), QStringLiteral("Not connected"));

        window.switchContext(QStringLiteral("good"));
        QVERIFY(!error->isVisibleTo(&window));
        QVERIFY(window.client());
        // The context's namespace was not remembered yet: all namespaces, then the choice sticks.
        window.selectNamespace(QStringLiteral("shop"));
        MainWindow again(optionsFor(writeKubeconfig(kTwoContexts)));
        QCOMPARE(again.currentNamespace(), QStringLiteral("shop"));
    }

    void offersToSweepLeftoversOfDeadSessionsOnly()
    {
        podtap::test::SimFixture sim(
            {QStringLiteral("--namespaces"), QStringLiteral("1"), QStringLiteral("--pods"), QStringLiteral("4"),
                QStringLiteral("--nodes"), QStringLiteral("2"), QStringLiteral("--stop-delay"), QStringLiteral("0")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        podtap::test::waitFor(client->create(
            podtap::kube::KubeClient::corePath(QStringLiteral("namespaces")), podtap::agentNamespaceObject()));
        const QString node = QStringLiteral("node-001");
        const QString deadA = podtap::generateSessionId();
        const QString deadB = podtap::generateSessionId();
        const QString alive = podtap::generateSessionId();
        const QString ours = podtap::generateSessionId();
        const QString podA = createAgentPod(*client, deadA, node, 3600);
        const QString podB = createAgentPod(*client, deadB, node, 600);
        const QString podAlive = createAgentPod(*client, alive, node, 5);
        const QString podOurs = createAgentPod(*client, ours, node, 3600);
        QVERIFY(!podA.isEmpty() && !podB.isEmpty() && !podAlive.isEmpty() && !podOurs.isEmpty());

        MainWindow window(optionsFor(sim.kubeconfig()));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *banner = child<QWidget>(window, "sweepBanner");
        auto *text = child<QLabel>(window, "sweepText");
        // Right after connecting: the three silent pods, never the one with a fresh heartbeat.
        QTRY_VERIFY_WITH_TIMEOUT(banner->isVisibleTo(&window), 15000);
        QVERIFY2(text->text().contains(QStringLiteral("3 podtap agent pods")), qPrintable(text->text()));
        QVERIFY(text->text().contains(podA));
        QVERIFY(!text->text().contains(podAlive));
        QVERIFY(text->toolTip().contains(QStringLiteral("heartbeat")));

        // A session this console runs is never offered, however old its pod's heartbeat looks.
        window.setSessionFactory([&](podtap::kube::KubeClient *, const podtap::TapRequest &request,
                                     podtap::gui::TapTool, const QString &) -> SessionHandle * {
            return new FakeSession(ours, request.targetNamespace + QLatin1Char('/') + request.pod);
        });
        podtap::TapRequest request;
        request.targetNamespace = QStringLiteral("shop");
        request.pod = QStringLiteral("web-ours");
        window.startTap(request, podtap::gui::TapTool::None, {});
        QCOMPARE(window.sessionsPanel()->model()->activeCount(), 1);
        window.findLeftovers();
        QTRY_VERIFY_WITH_TIMEOUT(text->text().contains(QStringLiteral("2 podtap agent pods")), 15000);
        QVERIFY(banner->isVisibleTo(&window));
        QVERIFY(!text->text().contains(podOurs));

        // Accepting deletes exactly those two through the API and says so.
        QTest::mouseClick(child<QPushButton>(window, "sweepButton"), Qt::LeftButton);
        QVERIFY(!banner->isVisibleTo(&window));
        QTRY_VERIFY_WITH_TIMEOUT(
            window.statusBar()->currentMessage().contains(QStringLiteral("Removed 2 leftover podtap pods")), 15000);
        QStringList expected {podAlive, podOurs};
        expected.sort();
        QTRY_COMPARE_WITH_TIMEOUT(agentPodNames(*client), expected, 15000);

        window.sessionsPanel()->model()->sessions().first()->reportState(SessionHandle::State::Stopped);
    }

    void keyboardDrivesContextNamespaceFilterTapAndStop()
    {
        podtap::test::SimFixture sim({QStringLiteral("--namespaces"), QStringLiteral("2"), QStringLiteral("--pods"),
            QStringLiteral("10"), QStringLiteral("--nodes"), QStringLiteral("2")});
        PODTAP_REQUIRE_SIM(sim);
        MainWindow window(optionsFor(sim.kubeconfig()));
        QList<FakeSession *> started;
        window.setSessionFactory([&](podtap::kube::KubeClient *, const podtap::TapRequest &request,
                                     podtap::gui::TapTool, const QString &) -> SessionHandle * {
            auto *session = new FakeSession(podtap::generateSessionId(),
                QStringLiteral("%1/%2/%3").arg(request.targetNamespace, request.pod, request.interfaceName));
            started << session;
            return session;
        });
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_COMPARE_WITH_TIMEOUT(window.podModel()->rowCount(), 10, 15000);
        // The offscreen platform has no window manager to give focus back after a popup or dialog.
        const auto reactivate = [&window] {
            window.activateWindow();
            return QTest::qWaitForWindowActive(&window);
        };
        QVERIFY(reactivate());

        // Ctrl+K: the context switcher, open.
        auto *combo = child<QComboBox>(window, "contextCombo");
        QTest::keySequence(&window, QKeySequence(Qt::CTRL | Qt::Key_K));
        QTRY_VERIFY(combo->view()->isVisible());
        QTest::keyClick(combo->view(), Qt::Key_Escape);
        QTRY_VERIFY(!combo->view()->isVisible());
        QVERIFY(reactivate());
        QTRY_VERIFY(combo->hasFocus());

        // Ctrl+N: the namespace list's type-ahead; Enter takes the first match.
        auto *namespaceFilter = child<QLineEdit>(window, "namespaceFilter");
        QTest::keySequence(&window, QKeySequence(Qt::CTRL | Qt::Key_N));
        QTRY_VERIFY(namespaceFilter->hasFocus());
        const QString ns = window.podModel()->index(0, 0).data(PodTableModel::NamespaceRole).toString();
        QTest::keyClicks(namespaceFilter, ns);
        QAbstractItemModel *namespaces = child<QListView>(window, "namespaceView")->model();
        QTRY_VERIFY_WITH_TIMEOUT(namespaces->rowCount() > 0, 10000); // the namespace list arrives on its own watch
        const QString firstMatch = namespaces->index(0, 0).data(Qt::DisplayRole).toString();
        QTest::keyClick(namespaceFilter, Qt::Key_Return);
        QCOMPARE(window.currentNamespace(), firstMatch);
        QVERIFY(firstMatch.contains(ns));
        QVERIFY(window.podView()->hasFocus());
        window.selectNamespace({});

        // Ctrl+F: the pod filter; Enter moves to the first matching pod.
        auto *filter = child<QLineEdit>(window, "podFilter");
        QTest::keySequence(&window, QKeySequence::Find);
        QVERIFY(filter->hasFocus());
        const QString typed = window.podProxy()->index(3, 0).data(PodTableModel::NameRole).toString();
        QTest::keyClicks(filter, typed);
        QVERIFY(window.podProxy()->rowCount() >= 1);
        QVERIFY(window.podProxy()->rowCount() < 10);
        QTest::keyClick(filter, Qt::Key_Return);
        QVERIFY(window.podView()->hasFocus());
        const QString pod = window.podView()->currentIndex().data(PodTableModel::NameRole).toString();
        QVERIFY2(pod.contains(typed), qPrintable(pod));

        // Enter on the selected pod: the tap dialog for that pod; Start (the default button) taps it.
        bool dialogSeen = false;
        QString dialogTitle;
        onNextModal(
            [&](QWidget *modal) {
                dialogTitle = modal->windowTitle();
                auto *start = modal->findChild<QPushButton *>(QStringLiteral("startButton"));
                if (start && start->isEnabled())
                    QTest::keyClick(modal, Qt::Key_Return);
                else
                    qobject_cast<QDialog *>(modal)->reject();
            },
            &dialogSeen);
        QTest::keyClick(window.podView(), Qt::Key_Return);
        QVERIFY(dialogSeen);
        QVERIFY2(dialogTitle.endsWith(QLatin1Char('/') + pod), qPrintable(dialogTitle));
        QCOMPARE(started.size(), 1);
        QVERIFY(started.first()->target().contains(QLatin1Char('/') + pod + QLatin1Char('/')));

        // Ctrl+W: stops the selected session (the new one is selected), and only that one.
        auto *other = new FakeSession(podtap::generateSessionId(), QStringLiteral("shop/other/eth0"));
        window.sessionsPanel()->addSession(other);
        window.sessionsPanel()->view()->selectRow(
            window.sessionsPanel()->model()->rowOf(started.first()) /* the table sorts nothing by default */);
        QCOMPARE(window.sessionsPanel()->selectedSession(), started.first());
        QVERIFY(reactivate());
        QTest::keySequence(&window, QKeySequence(Qt::CTRL | Qt::Key_W));
        QCOMPARE(started.first()->stops, 1);
        QCOMPARE(other->stops, 0);
        QCOMPARE(started.first()->state(), SessionHandle::State::Stopping);
        for (SessionHandle *session : window.sessionsPanel()->model()->sessions())
            session->reportState(SessionHandle::State::Stopped);
    }

    void quittingWithActiveTapsAsksThenStopsThem()
    {
        MainWindow window(optionsFor(writeKubeconfig(kTwoContexts)));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *first = new FakeSession(podtap::generateSessionId(), QStringLiteral("shop/web-0/eth0"));
        auto *second = new FakeSession(podtap::generateSessionId(), QStringLiteral("shop/web-1/eth0"));
        window.sessionsPanel()->addSession(first);
        window.sessionsPanel()->addSession(second);

        // Cancel: nothing stops, the window stays.
        bool asked = false;
        QString question;
        onNextModal(
            [&](QWidget *modal) {
                auto *box = qobject_cast<QMessageBox *>(modal);
                question = box ? box->text() : QString();
                if (box)
                    box->button(QMessageBox::Cancel)->click();
            },
            &asked);
        QVERIFY(!window.close());
        QVERIFY(asked);
        QVERIFY2(question.contains(QStringLiteral("2 tap")), qPrintable(question));
        QVERIFY(window.isVisible());
        QCOMPARE(first->stops + second->stops, 0);

        // Yes: every tap is asked to stop; the window closes only once they have stopped.
        asked = false;
        onNextModal(
            [&](QWidget *modal) {
                if (auto *box = qobject_cast<QMessageBox *>(modal))
                    box->button(QMessageBox::Yes)->click();
            },
            &asked);
        QVERIFY(!window.close());
        QVERIFY(asked);
        QCOMPARE(first->stops, 1);
        QCOMPARE(second->stops, 1);
        QVERIFY(window.isVisible());
        first->reportState(SessionHandle::State::Stopped);
        QVERIFY(window.isVisible());
        second->reportState(SessionHandle::State::Stopped);
        QTRY_VERIFY(!window.isVisible());
    }

    void selectionSurvivesTheEndOfTheFirstList()
    {
        MainWindow window(optionsFor(writeKubeconfig(kTwoContexts)));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const auto page = [](int first, int count) {
            QJsonArray items;
            for (int i = first; i < first + count; ++i) {
                items.append(QJsonObject {{QStringLiteral("metadata"),
                    QJsonObject {{QStringLiteral("uid"), QStringLiteral("uid-%1").arg(i)},
                        {QStringLiteral("namespace"), QStringLiteral("shop")},
                        {QStringLiteral("name"), QStringLiteral("web-%1").arg(i, 4, 10, QLatin1Char('0'))}}}});
            }
            return items;
        };
        PodTableModel *pods = window.podModel();
        pods->beginRelist();
        pods->addListPage(page(0, 50));
        // The first page is on screen before the list ends, and can be selected.
        QCOMPARE(window.podProxy()->rowCount(), 50);
        window.podView()->selectRow(7);
        const QString selected = window.podView()->currentIndex().data(PodTableModel::UidRole).toString();
        QVERIFY(!selected.isEmpty());
        pods->addListPage(page(50, 950));
        pods->endRelist();
        QCOMPARE(window.podProxy()->rowCount(), 1000);
        QCOMPARE(window.podView()->currentIndex().data(PodTableModel::UidRole).toString(), selected);
        QVERIFY(window.podView()->selectionModel()->isRowSelected(window.podView()->currentIndex().row()));
    }

    void showsLivePodsFiltersAndGoesStale()
    {
        podtap::test::SimFixture sim({QStringLiteral("--namespaces"), QStringLiteral("4"), QStringLiteral("--pods"),
            QStringLiteral("60"), QStringLiteral("--nodes"), QStringLiteral("3")});
        PODTAP_REQUIRE_SIM(sim);

        MainWindow window(optionsFor(sim.kubeconfig()));
        window.resize(1440, 820);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_COMPARE_WITH_TIMEOUT(window.podModel()->rowCount(), 60, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(!child<QLabel>(window, "serverVersion")->text().isEmpty(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(
            child<QLabel>(window, "connectionState")->text().startsWith(QStringLiteral("Connected")), 10000);

        // Typing filters at once: every row left contains the typed text.
        QTableView *view = window.podView();
        const QString first = window.podProxy()->index(0, 0).data(PodTableModel::NameRole).toString();
        const QString part = first.left(first.indexOf(QLatin1Char('-')) > 0 ? first.indexOf(QLatin1Char('-')) : 3);
        auto *filter = child<QLineEdit>(window, "podFilter");
        QTest::keySequence(&window, QKeySequence::Find);
        QVERIFY(filter->hasFocus());
        QTest::keyClicks(filter, part);
        const int shown = view->model()->rowCount();
        QVERIFY(shown > 0);
        QVERIFY(shown <= 60);
        for (int row = 0; row < shown; ++row)
            QVERIFY(view->model()
                        ->index(row, 0)
                        .data(PodTableModel::NameRole)
                        .toString()
                        .contains(part, Qt::CaseInsensitive));
        filter->clear();
        QCOMPARE(view->model()->rowCount(), 60);

        // One namespace: fewer rows, all from it.
        const QString ns = window.podProxy()->index(0, 0).data(PodTableModel::NamespaceRole).toString();
        window.selectNamespace(ns);
        QVERIFY(view->model()->rowCount() < 60);
        QCOMPARE(view->model()->index(0, 0).data(PodTableModel::NamespaceRole).toString(), ns);
        window.selectNamespace({});
        view->selectRow(2);

        // The README screenshot: the console as an operator first sees it.
        QTest::qWait(50);
        const QImage shot = window.grab().toImage();
        QVERIFY(!shot.isNull());
        // The README's screenshot (with a running tap) comes from tst_console_rig.
        QVERIFY(shot.save(podtap::test::builtExecutable(QStringLiteral("console.png"))));

        // The server goes away: the rows stay and the table says it is stale.
        sim.process().stop();
        QTRY_VERIFY_WITH_TIMEOUT(child<QLabel>(window, "staleBanner")->isVisibleTo(&window), 15000);
        QCOMPARE(window.podModel()->rowCount(), 60);
        QVERIFY(child<QLabel>(window, "connectionState")->text().contains(QStringLiteral("lost")));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
