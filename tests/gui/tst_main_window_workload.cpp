// SPDX-License-Identifier: Apache-2.0
// Multi-select in the console against kube-sim (no rig): three pods on three nodes picked in the pod table
// with Ctrl-click, Tap, the dialog for three pods accepted, and the console's real WorkloadTapSession behind it.
// The sim runs agent pods but no data path, so the test speaks for each node's agent through /sim/logs (the
// multi-target contract's tagged events) and checks what the Sessions panel shows.
#include "cluster/pod_table_model.h"
#include "kube/sim_fixture.h"
#include "main_window.h"
#include "models/pod_filter_proxy_model.h"
#include "models/session_table_model.h"
#include "pod_details_panel.h"
#include "session_handle.h"
#include "sessions_panel.h"
#include "support/process.h"
#include "tap/agent_pod_spec.h"
#include "tap/session_id.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QComboBox>
#include <QDialog>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTest>
#include <QTimer>
#include <QUdpSocket>

#include <functional>

using podtap::cluster::PodTableModel;
using podtap::gui::MainWindow;
using podtap::gui::MainWindowOptions;
using podtap::gui::SessionHandle;
using podtap::gui::SessionTableModel;
using namespace podtap::test;

namespace {

/// Stands in for a single-pod tap: only which factory ran matters for the one-pod case.
class FakeSession final : public SessionHandle
{
public:
    using SessionHandle::SessionHandle;
    void stop() override { reportState(State::Stopped); }
};

void speakForAgent(podtap::kube::KubeClient &client, const QString &pod, const QByteArray &line)
{
    podtap::kube::KubeRequest request;
    request.verb = "POST";
    request.path = QStringLiteral("/sim/logs");
    request.body = QJsonDocument(QJsonObject {{QStringLiteral("namespace"), QStringLiteral("podtap")},
                                     {QStringLiteral("name"), pod}, {QStringLiteral("line"), QString::fromUtf8(line)}})
                       .toJson(QJsonDocument::Compact);
    podtap::kube::KubeReply *reply = waitFor(client.send(request));
    reply->deleteLater();
    QVERIFY2(reply->ok(), qPrintable(reply->error().toString()));
}

/// The agent pods in the agent namespace (not being deleted): name → node.
QMap<QString, QString> agentPods(podtap::kube::KubeClient &client)
{
    QUrlQuery query;
    query.addQueryItem(QStringLiteral("labelSelector"), QStringLiteral("app.kubernetes.io/managed-by=podtap"));
    podtap::kube::KubeReply *reply = waitFor(
        client.get(podtap::kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap")), query));
    reply->deleteLater();
    QMap<QString, QString> pods;
    for (const QJsonValue &item : reply->json().value(QLatin1String("items")).toArray()) {
        const QJsonObject pod = item.toObject();
        const QJsonObject metadata = pod.value(QLatin1String("metadata")).toObject();
        if (metadata.contains(QLatin1String("deletionTimestamp")))
            continue;
        pods.insert(metadata.value(QLatin1String("name")).toString(),
            pod.value(QLatin1String("spec")).toObject().value(QLatin1String("nodeName")).toString());
    }
    return pods;
}

/// The target list lines an agent pod carries (its podtap.io/targets annotation).
QStringList targetLines(podtap::kube::KubeClient &client, const QString &pod)
{
    podtap::kube::KubeReply *reply =
        waitFor(client.get(podtap::kube::KubeClient::corePath(QStringLiteral("pods"), QStringLiteral("podtap"), pod)));
    reply->deleteLater();
    return reply->json()
        .value(QLatin1String("metadata"))
        .toObject()
        .value(QLatin1String("annotations"))
        .toObject()
        .value(QLatin1String(podtap::kAnnotationTargets))
        .toString()
        .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
}

QByteArray json(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

/// The agent's `ready` for the target of @p line, with the VNIs that line gave it.
QByteArray readyLine(const QString &line)
{
    const QStringList words = line.split(QLatin1Char(' '));
    const auto value = [&words](const char *flag) {
        const qsizetype at = words.indexOf(QLatin1String(flag));
        return at > 0 ? words.value(at + 1).toInt() : 0;
    };
    return json({{QStringLiteral("event"), QStringLiteral("ready")}, {QStringLiteral("target"), words.first()},
        {QStringLiteral("device"), QStringLiteral("ptap1")}, {QStringLiteral("vni"), value("--vni")},
        {QStringLiteral("egress_vni"), value("--egress-vni")}});
}

QByteArray statsLine(const QString &tag, int ingress, int egress)
{
    return json({{QStringLiteral("event"), QStringLiteral("stats")}, {QStringLiteral("target"), tag},
        {QStringLiteral("ingress"),
            QJsonObject {{QStringLiteral("packets"), ingress}, {QStringLiteral("bytes"), ingress * 100}}},
        {QStringLiteral("egress"),
            QJsonObject {{QStringLiteral("packets"), egress}, {QStringLiteral("bytes"), egress * 100}}}});
}

quint16 freeUdpPort()
{
    QUdpSocket socket;
    socket.bind(QHostAddress::LocalHost, 0);
    return socket.localPort();
}

/// Runs @p handle on the next modal window to open (polling, with a deadline), from inside its event loop.
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

void clickRow(QTableView *view, int row, Qt::KeyboardModifiers modifiers)
{
    const QModelIndex index = view->model()->index(row, 0);
    view->scrollTo(index);
    QTest::mouseClick(view->viewport(), Qt::LeftButton, modifiers, view->visualRect(index).center());
}

} // namespace

/// @brief Several pods picked in the pod table make one tap: one session row, a child row per pod, one agent
/// pod per node, counts from the agents' tagged stats, and nothing left after stop.
class TestMainWindowWorkload final : public QObject
{
    Q_OBJECT

private:
    static MainWindowOptions optionsFor(const QString &kubeconfig)
    {
        MainWindowOptions options;
        options.kubeconfig.explicitPath = kubeconfig;
        options.kubeconfig.allowInCluster = false;
        return options;
    }

    /// Rows of Running pods with a container, one per node, in the table's order.
    static QList<int> runningRowsOnDistinctNodes(MainWindow &window, int wanted)
    {
        QList<int> rows;
        QSet<QString> nodes;
        const QAbstractItemModel *model = window.podView()->model();
        for (int row = 0; row < model->rowCount() && rows.size() < wanted; ++row) {
            const QModelIndex index = model->index(row, 0);
            const QString node = index.data(PodTableModel::NodeRole).toString();
            if (index.data(PodTableModel::StatusRole).toString() != QLatin1String("Running") || node.isEmpty() ||
                index.data(PodTableModel::ContainerIdsRole).toStringList().isEmpty() || nodes.contains(node))
                continue;
            nodes.insert(node);
            rows << row;
        }
        return rows;
    }

    static QString podKey(MainWindow &window, int row)
    {
        const QModelIndex index = window.podView()->model()->index(row, 0);
        return index.data(PodTableModel::NamespaceRole).toString() + QLatin1Char('/') +
            index.data(PodTableModel::NameRole).toString();
    }

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void init() { QSettings().clear(); }

    void multiSelectStartsOneSessionWithAChildRowPerPod()
    {
        SimFixture sim(
            {QStringLiteral("--namespaces"), QStringLiteral("1"), QStringLiteral("--pods"), QStringLiteral("15"),
                QStringLiteral("--nodes"), QStringLiteral("3"), QStringLiteral("--stop-delay"), QStringLiteral("0")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);

        MainWindow window(optionsFor(sim.kubeconfig()));
        int singleTaps = 0;
        window.setSessionFactory([&](podtap::kube::KubeClient *, const podtap::TapRequest &request,
                                     podtap::gui::TapTool, const QString &) -> SessionHandle * {
            ++singleTaps;
            return new FakeSession(request.targetNamespace + QLatin1Char('/') + request.pod, QStringLiteral("local"));
        });
        window.resize(1440, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_COMPARE_WITH_TIMEOUT(window.podModel()->rowCount(), 15, 15000);
        QTableView *view = window.podView();
        QList<int> rows;
        QTRY_VERIFY_WITH_TIMEOUT((rows = runningRowsOnDistinctNodes(window, 3)).size() == 3, 15000);
        const QStringList picked {podKey(window, rows[0]), podKey(window, rows[1]), podKey(window, rows[2])};

        // Ctrl-click picks three pods; the details panel follows the one clicked last.
        clickRow(view, rows[0], Qt::NoModifier);
        clickRow(view, rows[1], Qt::ControlModifier);
        clickRow(view, rows[2], Qt::ControlModifier);
        QCOMPARE(window.selectedPods(), picked);
        auto *details = window.findChild<podtap::gui::PodDetailsPanel *>();
        QVERIFY(details);
        QCOMPARE(QModelIndex(details->pod()).data(PodTableModel::UidRole),
            view->model()->index(rows[2], 0).data(PodTableModel::UidRole));

        // Tap (Ctrl+T): the dialog for three pods; nothing to open, on a free port.
        bool dialogSeen = false;
        QString title;
        QString podsText;
        onNextModal(
            [&](QWidget *modal) {
                title = modal->windowTitle();
                if (auto *label = modal->findChild<QLabel *>(QStringLiteral("podsLabel")))
                    podsText = label->text();
                auto *tool = modal->findChild<QComboBox *>(QStringLiteral("tool"));
                tool->setCurrentIndex(tool->findData(QStringLiteral("none")));
                modal->findChild<QLineEdit *>(QStringLiteral("port"))->setText(QString::number(freeUdpPort()));
                auto *start = modal->findChild<QPushButton *>(QStringLiteral("startButton"));
                if (start && start->isEnabled())
                    start->click();
                else
                    qobject_cast<QDialog *>(modal)->reject();
            },
            &dialogSeen);
        QTest::keySequence(&window, QKeySequence(Qt::CTRL | Qt::Key_T));
        QVERIFY(dialogSeen);
        QCOMPARE(title, QStringLiteral("Tap 3 pods"));
        QCOMPARE(podsText, QStringLiteral("3 pods: %1").arg(picked.join(QStringLiteral(", "))));
        QCOMPARE(singleTaps, 0);

        // Exactly one session row, and a child row per pod once they are found.
        SessionTableModel *sessions = window.sessionsPanel()->model();
        QCOMPARE(sessions->rowCount(), 1);
        SessionHandle *session = sessions->sessionAt(0);
        QVERIFY(session);
        const QModelIndex sessionRow = sessions->index(0, 0);
        QTRY_VERIFY2_WITH_TIMEOUT(
            sessions->rowCount(sessionRow) == 3 || session->state() == SessionHandle::State::Failed,
            qPrintable(session->failureSummary() + QLatin1Char(' ') + session->failureFix()), 20000);
        QCOMPARE(sessions->rowCount(sessionRow), 3);
        QStringList childKeys;
        for (int row = 0; row < 3; ++row)
            childKeys << sessions->index(row, SessionTableModel::TargetColumn, sessionRow).data().toString();
        childKeys.sort();
        QStringList expectedKeys = picked;
        expectedKeys.sort();
        QCOMPARE(childKeys, expectedKeys);

        // One agent pod per node, counted through the API.
        QTRY_VERIFY2_WITH_TIMEOUT(agentPods(*client).size() == 3 || session->state() == SessionHandle::State::Failed,
            qPrintable(session->failureSummary() + QLatin1Char(' ') + session->failureFix()), 20000);
        const QMap<QString, QString> agents = agentPods(*client);
        QCOMPARE(agents.size(), 3);
        QCOMPARE(QSet<QString>(agents.begin(), agents.end()).size(), 3);
        QVERIFY(!session->sessionId().isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(
            [&] {
                int lines = 0;
                for (const QString &agent : agents.keys())
                    lines += int(targetLines(*client, agent).size());
                return lines;
            }(),
            3, 15000);

        // Each agent reads its list and reports its pod ready: the tap runs, each pod "Tapped".
        QMap<QString, QString> agentOfPod;
        for (const QString &agent : agents.keys()) {
            const QStringList lines = targetLines(*client, agent);
            QStringList tags;
            for (const QString &line : lines)
                tags << line.section(QLatin1Char(' '), 0, 0);
            speakForAgent(*client, agent,
                json({{QStringLiteral("event"), QStringLiteral("targets")},
                    {QStringLiteral("active"), QJsonArray::fromStringList(tags)},
                    {QStringLiteral("ended"), QJsonArray {}}, {QStringLiteral("version"), QStringLiteral("9.8.7")},
                    {QStringLiteral("contract"), podtap::kAgentContract}}));
            for (const QString &line : lines) {
                speakForAgent(*client, agent, readyLine(line));
                agentOfPod.insert(line.section(QLatin1Char(' '), 0, 0), agent);
            }
        }
        QTRY_COMPARE_WITH_TIMEOUT(session->state(), SessionHandle::State::Running, 15000);
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(session->members().begin(), session->members().end(),
                                     [](const SessionHandle::Member &member) {
                                         return member.health == SessionHandle::Member::Health::Tapped;
                                     }),
            10000);
        QCOMPARE(sessions->index(0, 0, sessionRow).data().toString(), QStringLiteral("Tapped"));
        QCOMPARE(sessions->index(0, SessionTableModel::StateColumn).data().toString(),
            QStringLiteral("Running: 3 pods tapped"));
        // "+ns/pod tapped on node": below the tree for the selected tap, and in its row's tooltip.
        auto *events = window.sessionsPanel()->findChild<QLabel *>(QStringLiteral("memberEvents"));
        QVERIFY(events);
        QTRY_VERIFY(events->isVisible());
        // The tooltip keeps the text literal (escaped, with non-breaking spaces).
        const QString tip = sessions->index(0, SessionTableModel::TargetColumn)
                                .data(Qt::ToolTipRole)
                                .toString()
                                .replace(QChar(0xA0), QLatin1Char(' '));
        for (const QString &pod : picked) {
            QVERIFY2(tip.contains(QStringLiteral("+%1 tapped on ").arg(pod)), qPrintable(tip));
        }

        // The child rows' counts follow the agents' tagged stats, each its own pod's.
        int packets = 10;
        QMap<QString, qint64> expected;
        for (auto it = agentOfPod.cbegin(); it != agentOfPod.cend(); ++it) {
            speakForAgent(*client, it.value(), statsLine(it.key(), packets, packets / 2));
            expected.insert(it.key(), packets + packets / 2);
            packets += 10;
        }
        const auto childCounts = [&] {
            QMap<QString, qint64> counts;
            for (int row = 0; row < sessions->rowCount(sessionRow); ++row) {
                counts.insert(sessions->index(row, SessionTableModel::TargetColumn, sessionRow).data().toString(),
                    sessions->index(row, SessionTableModel::PacketsColumn, sessionRow)
                        .data(SessionTableModel::SortRole)
                        .toLongLong());
            }
            return counts;
        };
        QTRY_COMPARE_WITH_TIMEOUT(childCounts(), expected, 15000);
        QCOMPARE(sessions->index(0, SessionTableModel::PacketsColumn).data(SessionTableModel::SortRole).toLongLong(),
            15 + 30 + 45);

        // A tapped pod is deleted: its row says Gone and keeps its counts, and the operator reads "-NS/POD gone".
        const QString goneKey = picked.first();
        podtap::kube::KubeReply *removed =
            waitFor(client->remove(podtap::kube::KubeClient::corePath(QStringLiteral("pods"),
                                       goneKey.section(QLatin1Char('/'), 0, 0), goneKey.section(QLatin1Char('/'), 1)),
                0));
        removed->deleteLater();
        QVERIFY2(removed->ok(), qPrintable(removed->error().toString()));
        const auto childRowOf = [&](const QString &key) {
            for (int row = 0; row < sessions->rowCount(sessionRow); ++row) {
                if (sessions->index(row, SessionTableModel::TargetColumn, sessionRow).data().toString() == key)
                    return row;
            }
            return -1;
        };
        QTRY_VERIFY2_WITH_TIMEOUT(sessions->index(childRowOf(goneKey), SessionTableModel::StateColumn, sessionRow)
                                      .data()
                                      .toString()
                                      .startsWith(QStringLiteral("Gone")),
            qPrintable(
                sessions->index(childRowOf(goneKey), SessionTableModel::StateColumn, sessionRow).data().toString()),
            15000);
        QCOMPARE(sessions->index(childRowOf(goneKey), SessionTableModel::PacketsColumn, sessionRow)
                     .data(SessionTableModel::SortRole)
                     .toLongLong(),
            expected.value(goneKey));
        QTRY_VERIFY2(events->text().contains(QStringLiteral("-%1 gone").arg(goneKey)), qPrintable(events->text()));
        QVERIFY2(window.statusBar()->currentMessage().startsWith(QStringLiteral("-%1 gone").arg(goneKey)),
            qPrintable(window.statusBar()->currentMessage()));
        QCOMPARE(sessions->index(0, SessionTableModel::StateColumn).data().toString(),
            QStringLiteral("Running: 2 pods tapped, 1 ended"));

        // What the operator sees (kept next to the test binary, not the README's screenshot).
        QTest::qWait(50);
        QVERIFY(window.grab().toImage().save(builtExecutable(QStringLiteral("console-workload.png"))));

        // Stop (Ctrl+W with the tap selected): the session ends and every agent pod goes.
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QCOMPARE(window.sessionsPanel()->selectedSession(), session);
        QTest::keySequence(&window, QKeySequence(Qt::CTRL | Qt::Key_W));
        QTRY_COMPARE_WITH_TIMEOUT(session->state(), SessionHandle::State::Stopped, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(agentPods(*client).size(), 0, 15000);
        QCOMPARE(sessions->rowCount(), 1);
        QCOMPARE(sessions->rowCount(sessionRow), 3);
    }

    // A cluster that refuses the agent pods: the tap's row fails, and its fix shows below the list.
    void aRefusedTapOfSeveralPodsShowsItsFix()
    {
        SimFixture sim({QStringLiteral("--namespaces"), QStringLiteral("1"), QStringLiteral("--pods"),
            QStringLiteral("10"), QStringLiteral("--nodes"), QStringLiteral("2"), QStringLiteral("--forbid"),
            QStringLiteral("create:pods:podtap")});
        PODTAP_REQUIRE_SIM(sim);
        auto client = sim.client();
        QVERIFY(client);
        MainWindow window(optionsFor(sim.kubeconfig()));
        window.resize(1440, 900);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_COMPARE_WITH_TIMEOUT(window.podModel()->rowCount(), 10, 15000);
        QList<int> rows;
        QTRY_VERIFY_WITH_TIMEOUT((rows = runningRowsOnDistinctNodes(window, 2)).size() == 2, 15000);
        clickRow(window.podView(), rows[0], Qt::NoModifier);
        clickRow(window.podView(), rows[1], Qt::ControlModifier);
        QCOMPARE(window.selectedPods().size(), 2);

        bool dialogSeen = false;
        onNextModal(
            [&](QWidget *modal) {
                auto *tool = modal->findChild<QComboBox *>(QStringLiteral("tool"));
                tool->setCurrentIndex(tool->findData(QStringLiteral("none")));
                modal->findChild<QLineEdit *>(QStringLiteral("port"))->setText(QString::number(freeUdpPort()));
                modal->findChild<QPushButton *>(QStringLiteral("startButton"))->click();
            },
            &dialogSeen);
        QTest::keySequence(&window, QKeySequence(Qt::CTRL | Qt::Key_T));
        QVERIFY(dialogSeen);
        SessionTableModel *sessions = window.sessionsPanel()->model();
        QCOMPARE(sessions->rowCount(), 1);
        SessionHandle *session = sessions->sessionAt(0);
        QTRY_COMPARE_WITH_TIMEOUT(session->state(), SessionHandle::State::Failed, 20000);
        // The summary names what was refused; the fix is there to copy.
        QVERIFY2(session->failureSummary().contains(QStringLiteral("podtap")), qPrintable(session->failureSummary()));
        QVERIFY(!session->failureFix().isEmpty());
        auto *fixView = window.sessionsPanel()->findChild<QWidget *>(QStringLiteral("fixView"));
        QVERIFY(fixView);
        QTRY_VERIFY(fixView->isVisible());
        QCOMPARE(sessions->index(0, SessionTableModel::StateColumn).data().toString(), QStringLiteral("Failed"));
        QCOMPARE(agentPods(*client).size(), 0);
    }

    // The first page of pods is on screen before the list ends; several pods picked on it stay picked when the
    // whole list replaces it.
    void multiSelectionSurvivesTheEndOfTheFirstList()
    {
        MainWindow window(optionsFor(QStringLiteral("/nonexistent/kubeconfig")));
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
        QTableView *view = window.podView();
        QCOMPARE(view->model()->rowCount(), 50);
        clickRow(view, 3, Qt::NoModifier);
        clickRow(view, 9, Qt::ControlModifier);
        clickRow(view, 7, Qt::ControlModifier);
        const QStringList picked {
            QStringLiteral("shop/web-0003"), QStringLiteral("shop/web-0007"), QStringLiteral("shop/web-0009")};
        QCOMPARE(window.selectedPods(), picked);
        pods->addListPage(page(50, 950));
        pods->endRelist();
        QCOMPARE(view->model()->rowCount(), 1000);
        QCOMPARE(window.selectedPods(), picked);
        QCOMPARE(view->currentIndex().data(PodTableModel::NameRole).toString(), QStringLiteral("web-0007"));
    }

    // One selected pod taps as before: the one-pod dialog and the one-pod session.
    void oneSelectedPodTapsAsBefore()
    {
        SimFixture sim({QStringLiteral("--namespaces"), QStringLiteral("1"), QStringLiteral("--pods"),
            QStringLiteral("6"), QStringLiteral("--nodes"), QStringLiteral("2")});
        PODTAP_REQUIRE_SIM(sim);
        MainWindow window(optionsFor(sim.kubeconfig()));
        QStringList singleTaps;
        window.setSessionFactory([&](podtap::kube::KubeClient *, const podtap::TapRequest &request,
                                     podtap::gui::TapTool, const QString &) -> SessionHandle * {
            singleTaps << request.targetNamespace + QLatin1Char('/') + request.pod;
            return new FakeSession(singleTaps.last(), QStringLiteral("local"));
        });
        int workloadTaps = 0;
        window.setWorkloadSessionFactory([&](podtap::kube::KubeClient *, const podtap::WorkloadTapRequest &,
                                             podtap::gui::TapTool, const QString &) -> SessionHandle * {
            ++workloadTaps;
            return nullptr;
        });
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QTRY_COMPARE_WITH_TIMEOUT(window.podModel()->rowCount(), 6, 15000);
        QTableView *view = window.podView();
        // Two picked, then a plain click on a third: one pod again.
        clickRow(view, 0, Qt::NoModifier);
        clickRow(view, 1, Qt::ShiftModifier);
        QCOMPARE(window.selectedPods().size(), 2);
        clickRow(view, 3, Qt::NoModifier);
        QCOMPARE(window.selectedPods(), QStringList {podKey(window, 3)});

        bool dialogSeen = false;
        QString title;
        onNextModal(
            [&](QWidget *modal) {
                title = modal->windowTitle();
                auto *tool = modal->findChild<QComboBox *>(QStringLiteral("tool"));
                tool->setCurrentIndex(tool->findData(QStringLiteral("none")));
                modal->findChild<QPushButton *>(QStringLiteral("startButton"))->click();
            },
            &dialogSeen);
        QTest::keySequence(&window, QKeySequence(Qt::CTRL | Qt::Key_T));
        QVERIFY(dialogSeen);
        QCOMPARE(title, QStringLiteral("Tap %1").arg(podKey(window, 3)));
        QCOMPARE(singleTaps, QStringList {podKey(window, 3)});
        QCOMPARE(workloadTaps, 0);
        QCOMPARE(window.sessionsPanel()->model()->rowCount(), 1);
        QCOMPARE(window.sessionsPanel()->model()->rowCount(window.sessionsPanel()->model()->index(0, 0)), 0);

        // The details panel's button taps its own pod even while several are selected.
        clickRow(view, 4, Qt::ControlModifier);
        QCOMPARE(window.selectedPods().size(), 2);
        dialogSeen = false;
        onNextModal(
            [&](QWidget *modal) {
                title = modal->windowTitle();
                qobject_cast<QDialog *>(modal)->reject();
            },
            &dialogSeen);
        QTest::mouseClick(window.findChild<QPushButton *>(QStringLiteral("tapPodButton")), Qt::LeftButton);
        QVERIFY(dialogSeen);
        QCOMPARE(title, QStringLiteral("Tap %1").arg(podKey(window, 4)));
        QCOMPARE(workloadTaps, 0);
    }
};

QTEST_MAIN(TestMainWindowWorkload)
#include "tst_main_window_workload.moc"
