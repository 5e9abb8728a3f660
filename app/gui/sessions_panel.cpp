// SPDX-License-Identifier: Apache-2.0
#include "sessions_panel.h"

#include "capture/capture_launch.h"
#include "capture/capture_process.h"
#include "models/session_table_model.h"
#include "session_handle.h"
#include "widgets/fix_view.h"
#include "widgets/plain_text.h"
#include "widgets/sessions_tree_view.h"

#include <QFontDatabase>
#include <QFontMetrics>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QVBoxLayout>

namespace podtap::gui {

SessionsPanel::SessionsPanel(QWidget *parent)
    : QWidget(parent)
    , m_model(new SessionTableModel(this))
{
    setObjectName(QStringLiteral("sessionsPanel"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);

    auto *buttons = new QHBoxLayout;
    m_wireshark = new QPushButton(QIcon::fromTheme(QStringLiteral("wireshark")), tr("Open in &Wireshark"), this);
    m_wireshark->setObjectName(QStringLiteral("openWireshark"));
    m_tshark = new QPushButton(tr("Open ts&hark"), this);
    m_tshark->setObjectName(QStringLiteral("openTshark"));
    m_stop = new QPushButton(QIcon::fromTheme(QStringLiteral("process-stop")), tr("Sto&p"), this);
    m_stop->setObjectName(QStringLiteral("stopSession"));
    m_stop->setToolTip(tr("Stop the selected tap (Ctrl+W)"));
    m_stopAll = new QPushButton(tr("Stop &all"), this);
    m_stopAll->setObjectName(QStringLiteral("stopAllSessions"));
    m_clear = new QPushButton(tr("C&lear finished"), this);
    m_clear->setObjectName(QStringLiteral("clearFinished"));
    for (QPushButton *button : {m_wireshark, m_tshark, m_stop, m_stopAll, m_clear})
        buttons->addWidget(button);
    buttons->addStretch(1);
    layout->addLayout(buttons);

    auto *proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(m_model);
    proxy->setSortRole(SessionTableModel::SortRole);
    // A tree: a tap of several pods has a child row per pod under its own row.
    m_view = new SessionsTreeView(this);
    m_view->setObjectName(QStringLiteral("sessionsView"));
    m_view->setModel(proxy);
    m_view->setSortingEnabled(true);
    m_view->setAlternatingRowColors(true);
    m_view->header()->setStretchLastSection(false);
    m_view->header()->setSectionResizeMode(SessionTableModel::TargetColumn, QHeaderView::Stretch);
    m_view->header()->setSectionResizeMode(SessionTableModel::StateColumn, QHeaderView::ResizeToContents);
    // A tap's pods show as soon as they join.
    connect(proxy, &QAbstractItemModel::rowsInserted, m_view, [this](const QModelIndex &parent) {
        if (parent.isValid())
            m_view->expand(parent);
    });
    // Room for a tap and a few of its pods before the tshark pane takes the rest.
    m_view->setMinimumHeight(m_view->header()->sizeHint().height() + 4 * (m_view->fontMetrics().height() + 4));
    // The list and the tshark pane share a splitter, so the operator sizes the pane to read it. The pods'
    // events sit right under the list they belong to.
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->setObjectName(QStringLiteral("sessionsSplitter"));
    splitter->setChildrenCollapsible(false);
    auto *top = new QWidget(splitter);
    auto *topLayout = new QVBoxLayout(top);
    topLayout->setContentsMargins(0, 0, 0, 0);
    topLayout->setSpacing(2);
    topLayout->addWidget(m_view, 1);
    m_memberEvents = plainLabel(top); // pod names and agent messages, shown literally
    m_memberEvents->setObjectName(QStringLiteral("memberEvents"));
    m_memberEvents->setWordWrap(true);
    m_memberEvents->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_memberEvents->setContentsMargins(4, 0, 4, 0);
    m_memberEvents->hide();
    topLayout->addWidget(m_memberEvents);
    splitter->addWidget(top);
    layout->addWidget(splitter, 1);

    m_empty =
        new QLabel(tr("No taps yet. Select a pod (Ctrl/Shift-click for several) and press Enter to tap it."), this);
    m_empty->setObjectName(QStringLiteral("sessionsEmpty"));
    m_empty->setEnabled(false);
    layout->addWidget(m_empty);

    m_fixView = new FixView(this);
    m_fixView->hide();
    layout->addWidget(m_fixView);

    m_tsharkOutput = new QPlainTextEdit(this);
    m_tsharkOutput->setObjectName(QStringLiteral("tsharkOutput"));
    m_tsharkOutput->setReadOnly(true);
    m_tsharkOutput->setMaximumBlockCount(5000);
    m_tsharkOutput->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_tsharkOutput->setLineWrapMode(QPlainTextEdit::NoWrap);
    // Tall enough for a screenful of packets by default; the splitter above makes it taller or shorter.
    m_tsharkOutput->setMinimumHeight(QFontMetrics(m_tsharkOutput->font()).lineSpacing() * 6);
    m_tsharkOutput->hide();
    splitter->addWidget(m_tsharkOutput);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 3);

    connect(m_wireshark, &QPushButton::clicked, this, &SessionsPanel::openInWireshark);
    connect(m_tshark, &QPushButton::clicked, this, &SessionsPanel::openTshark);
    connect(m_stop, &QPushButton::clicked, this, &SessionsPanel::stopSelected);
    connect(m_stopAll, &QPushButton::clicked, this, &SessionsPanel::stopAll);
    connect(m_clear, &QPushButton::clicked, m_model, &SessionTableModel::removeFinished);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &SessionsPanel::updateActions);
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &SessionsPanel::showMemberEvents);
    connect(m_model, &QAbstractItemModel::dataChanged, this, &SessionsPanel::updateActions);
    connect(m_model, &QAbstractItemModel::rowsInserted, this, &SessionsPanel::updateActions);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &SessionsPanel::updateActions);
    connect(m_model, &SessionTableModel::activeCountChanged, this, [this](int active) {
        if (active == 0)
            Q_EMIT allStopped();
    });
    updateActions();
}

SessionsPanel::~SessionsPanel()
{
    if (m_tsharkProcess)
        m_tsharkProcess->stop(0);
    if (m_tsharkViewer)
        m_tsharkViewer->terminate();
}

void SessionsPanel::addSession(SessionHandle *session)
{
    m_model->addSession(session);
    // A tap started with "Show tshark output" shows its own capture here while it is selected and
    // no tshark was opened by hand.
    connect(session, &SessionHandle::captureLine, this, [this, session](const QString &line) {
        if (m_tsharkProcess || m_tsharkViewer || selectedSession() != session)
            return;
        if (m_captureSource != session) {
            m_captureSource = session;
            m_tsharkOutput->clear();
        }
        m_tsharkOutput->show();
        m_tsharkOutput->appendPlainText(line);
    });
    connect(session, &SessionHandle::memberEvent, this, [this, session](const QString &text) {
        if (selectedSession() == session)
            showMemberEvents();
        Q_EMIT memberEvent(session, text);
    });
    const auto *proxy = qobject_cast<QSortFilterProxyModel *>(m_view->model());
    const QModelIndex index = proxy->mapFromSource(m_model->index(m_model->rowOf(session), 0));
    m_view->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    m_view->expand(index);
    updateActions();
    showMemberEvents();
}

SessionHandle *SessionsPanel::selectedSession() const
{
    const auto *proxy = qobject_cast<QSortFilterProxyModel *>(m_view->model());
    const QModelIndex current = m_view->selectionModel()->currentIndex();
    if (!current.isValid())
        return nullptr;
    return m_model->sessionOf(proxy->mapToSource(current));
}

void SessionsPanel::showMemberEvents()
{
    const SessionHandle *session = selectedSession();
    const QStringList events = session ? session->memberEvents() : QStringList();
    if (events.isEmpty()) {
        m_memberEvents->clear();
        m_memberEvents->hide();
        return;
    }
    // The latest few; the session row's tooltip has more.
    m_memberEvents->setText(events.mid(std::max<qsizetype>(0, events.size() - 3)).join(QLatin1Char('\n')));
    m_memberEvents->show();
}

void SessionsPanel::updateActions()
{
    const SessionHandle *session = selectedSession();
    const bool running = session && session->state() == SessionHandle::State::Running;
    const bool canCapture = running && (!session->captureInterface().isEmpty() || session->attachesViewers());
    m_wireshark->setEnabled(canCapture);
    m_tshark->setEnabled(canCapture);
    m_stop->setEnabled(session && session->isActive() && session->state() != SessionHandle::State::Stopping);
    m_stopAll->setEnabled(m_model->activeCount() > 0);
    m_clear->setEnabled(m_model->rowCount() > m_model->activeCount());
    m_empty->setVisible(m_model->rowCount() == 0);

    if (session && session->state() == SessionHandle::State::Failed) {
        m_fixView->setProblem(session->failureSummary(), session->failureFix());
        m_fixView->show();
    } else {
        m_fixView->hide();
    }
}

void SessionsPanel::showError(const QString &summary, const QString &fix)
{
    m_fixView->setProblem(summary, fix);
    m_fixView->show();
}

void SessionsPanel::stopSelected()
{
    if (SessionHandle *session = selectedSession())
        session->stop();
}

void SessionsPanel::stopAll()
{
    const QList<SessionHandle *> sessions = m_model->sessions();
    for (SessionHandle *session : sessions) {
        if (session->isActive() && session->state() != SessionHandle::State::Stopping)
            session->stop();
    }
}

void SessionsPanel::openInWireshark()
{
    SessionHandle *session = selectedSession();
    if (session && session->attachesViewers()) {
        // A new viewer on the session's own stream, started the way the tap started its own.
        QString error;
        if (!session->openViewer(CaptureTool::Wireshark, &error))
            showError(tr("Cannot open Wireshark for %1.").arg(session->target()), error);
        return;
    }
    if (!session || session->captureInterface().isEmpty())
        return;
    const CaptureOptions options = session->captureOptions(CaptureTool::Wireshark);
    // The session's own launch path: the same profile with pod names, and Wireshark outlives the tap.
    const CaptureCommand command = launchCapture(options, nullptr);
    if (!command.ok())
        showError(tr("Cannot open Wireshark for %1.").arg(session->target()), command.error);
}

void SessionsPanel::openTshark()
{
    SessionHandle *session = selectedSession();
    if (session && session->attachesViewers()) {
        openTsharkOnStream(session);
        return;
    }
    if (!session || session->captureInterface().isEmpty())
        return;
    const CaptureOptions options = session->captureOptions(CaptureTool::Tshark);
    const CaptureLaunchEnvironment environment = CaptureLaunchEnvironment::detect();
    const CaptureCommand prepared = prepareCapture(options, environment);
    if (!prepared.ok()) {
        showError(tr("Cannot open tshark for %1.").arg(session->target()), prepared.error);
        return;
    }
    if (m_tsharkProcess)
        m_tsharkProcess->stop(1000);
    if (m_tsharkViewer)
        m_tsharkViewer->terminate();
    m_tsharkOutput->clear();
    m_captureSource = nullptr;
    m_tsharkOutput->appendPlainText(QStringLiteral("$ %1").arg(prepared.toString()));
    m_tsharkOutput->show();
    auto *process = new CaptureProcess(this);
    m_tsharkProcess = process;
    connect(process, &CaptureProcess::lineReceived, m_tsharkOutput, &QPlainTextEdit::appendPlainText);
    connect(process, &CaptureProcess::diagnosticReceived, m_tsharkOutput, &QPlainTextEdit::appendPlainText);
    connect(process, &CaptureProcess::failed, this,
        [this](const QString &message) { m_tsharkOutput->appendPlainText(message); });
    connect(process, &CaptureProcess::finished, process, &QObject::deleteLater);
    // Closing the tap closes its interface; tshark then ends by itself.
    launchCapture(options, process, environment);
}

void SessionsPanel::openTsharkOnStream(SessionHandle *session)
{
    QString error;
    QProcess *viewer = session->openViewer(CaptureTool::Tshark, &error);
    if (!viewer) {
        showError(tr("Cannot open tshark for %1.").arg(session->target()), error);
        return;
    }
    if (m_tsharkProcess)
        m_tsharkProcess->stop(1000);
    if (m_tsharkViewer)
        m_tsharkViewer->terminate();
    m_tsharkViewer = viewer;
    m_tsharkOutput->clear();
    m_captureSource = nullptr;
    m_tsharkOutput->appendPlainText(
        QStringLiteral("$ %1 %2").arg(viewer->program(), viewer->arguments().join(QLatin1Char(' '))));
    m_tsharkOutput->show();
    // The viewer belongs to the session's capture; when the tap stops, its pipe ends and tshark exits.
    connect(viewer, &QProcess::readyRead, m_tsharkOutput, [this, viewer] {
        while (viewer->canReadLine()) {
            const QString line = QString::fromUtf8(viewer->readLine()).trimmed();
            if (!line.isEmpty())
                m_tsharkOutput->appendPlainText(line);
        }
    });
}

} // namespace podtap::gui
