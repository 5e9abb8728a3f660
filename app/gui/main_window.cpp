// SPDX-License-Identifier: Apache-2.0
#include "main_window.h"

#include "capture/extcap_install.h"
#include "cluster/namespace_list_model.h"
#include "cluster/node_list_model.h"
#include "cluster/pod_table_model.h"
#include "cluster/tap_interfaces.h"
#include "console_settings.h"
#include "kube/cluster_session.h"
#include "kube/kube_client.h"
#include "kube/list_watch.h"
#include "models/pod_filter_proxy_model.h"
#include "models/pod_sort_proxy_model.h"
#include "models/session_table_model.h"
#include "pod_details_panel.h"
#include "podtap/version.h"
#include "session_handle.h"
#include "sessions_panel.h"
#include "tap/agent_pod_spec.h"
#include "tap/session_sweep.h"
#include "tap_session_handle.h"
#include "widgets/namespace_delegate.h"
#include "widgets/plain_text.h"
#include "widgets/pod_status_delegate.h"
#include "workload_session_handle.h"

#include <QAction>
#include <QCloseEvent>
#include <QComboBox>
#include <QCoreApplication>
#include <QDateTime>
#include <QDesktopServices>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcessEnvironment>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStandardItemModel>
#include <QStatusBar>
#include <QStyle>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

#include <utility>

namespace podtap::gui {

using cluster::NamespaceListModel;
using cluster::PodTableModel;

namespace {

constexpr int kContextNameRole = Qt::UserRole;
constexpr int kContextErrorRole = Qt::UserRole + 1;
constexpr int kStopAllTimeoutMs = 20000;
/// A bigger multi-selection (Ctrl+A on a large cluster) keeps only its current row across a relist.
constexpr int kMaxRestoredSelection = 1000;

QLabel *makeBanner(const QString &objectName, const QString &background, QWidget *parent)
{
    // Plain text: banners quote context names, kubeconfig errors and server messages.
    QLabel *banner = plainLabel(parent);
    banner->setObjectName(objectName);
    banner->setWordWrap(true);
    banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    banner->setMargin(6);
    banner->setStyleSheet(
        QStringLiteral("QLabel { background: %1; color: #202020; border-radius: 3px; }").arg(background));
    banner->hide();
    return banner;
}

} // namespace

MainWindow::MainWindow(const MainWindowOptions &options, QWidget *parent)
    : QMainWindow(parent)
    , m_pods(new PodTableModel(this))
    , m_namespaces(new NamespaceListModel(this))
    , m_nodes(new cluster::NodeListModel(this))
{
    setObjectName(QStringLiteral("podtapMainWindow"));
    setWindowTitle(QStringLiteral("podtap"));
    // PNG sizes rendered from the SVG: they show without Qt's SVG icon engine, which a minimal install lacks.
    QIcon icon;
    for (const int size : {48, 64, 128, 256}) {
        icon.addFile(QStringLiteral(":/podtap/icons/podtap-%1.png").arg(size), QSize(size, size));
    }
    setWindowIcon(icon);
    m_namespaces->setPodModel(m_pods);

    buildUi();
    buildActions();
    connect(this, &MainWindow::clusterConnected, this, &MainWindow::findLeftovers);
    connect(this, &MainWindow::sweepRequested, this, &MainWindow::removeLeftovers);
    statusBar()->showMessage(tr("podtap %1").arg(QLatin1String(kVersion)), 10000);
    resize(1280, 780);

    m_kubeconfig = kube::Kubeconfig::load(options.kubeconfig);
    QString preferred = options.context;
    if (preferred.isEmpty())
        preferred = ConsoleSettings::lastContext();
    if (preferred.isEmpty() || !m_kubeconfig.context(preferred))
        preferred = m_kubeconfig.currentContext;
    populateContexts(preferred);
}

MainWindow::~MainWindow()
{
    disconnectCluster();
}

void MainWindow::buildUi()
{
    // Toolbar: the context switcher (tapping is Enter on a pod, or the details panel's button).
    auto *toolbar = addToolBar(tr("Cluster"));
    toolbar->setObjectName(QStringLiteral("clusterToolbar"));
    toolbar->setMovable(false);
    auto *contextLabel = new QLabel(tr("&Context "), toolbar);
    m_contextCombo = new QComboBox(toolbar);
    m_contextCombo->setObjectName(QStringLiteral("contextCombo"));
    m_contextCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_contextCombo->setMinimumContentsLength(20);
    m_contextCombo->setToolTip(tr("Kubeconfig context (Ctrl+K)"));
    contextLabel->setBuddy(m_contextCombo);
    toolbar->addWidget(contextLabel);
    toolbar->addWidget(m_contextCombo);
    connect(m_contextCombo, &QComboBox::activated, this,
        [this](int index) { switchContext(m_contextCombo->itemData(index, kContextNameRole).toString()); });

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(6, 6, 6, 0);
    m_contextError = makeBanner(QStringLiteral("contextError"), QStringLiteral("#fde0dc"), central);
    // The leftover offer: a bar, not a dialog, so the window is usable while it waits for an answer.
    m_sweepBanner = new QFrame(central);
    m_sweepBanner->setObjectName(QStringLiteral("sweepBanner"));
    m_sweepBanner->setStyleSheet(QStringLiteral(
        "#sweepBanner { background: #e3f2fd; border-radius: 3px; } #sweepBanner QLabel { color: #202020; }"));
    auto *sweepLayout = new QHBoxLayout(m_sweepBanner);
    sweepLayout->setContentsMargins(6, 4, 6, 4);
    m_sweepText = new QLabel(m_sweepBanner);
    m_sweepText->setObjectName(QStringLiteral("sweepText"));
    m_sweepText->setTextFormat(Qt::RichText); // its own markup around escaped pod names
    m_sweepText->setWordWrap(true);
    m_sweepText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    sweepLayout->addWidget(m_sweepText, 1);
    m_sweepButton = new QPushButton(tr("&Remove them"), m_sweepBanner);
    m_sweepButton->setObjectName(QStringLiteral("sweepButton"));
    sweepLayout->addWidget(m_sweepButton);
    auto *sweepDismiss = new QPushButton(tr("Not now"), m_sweepBanner);
    sweepDismiss->setObjectName(QStringLiteral("sweepDismiss"));
    sweepLayout->addWidget(sweepDismiss);
    m_sweepBanner->hide();
    connect(m_sweepButton, &QPushButton::clicked, this, [this] {
        m_sweepBanner->hide();
        Q_EMIT sweepRequested(m_leftovers);
    });
    connect(sweepDismiss, &QPushButton::clicked, m_sweepBanner, &QWidget::hide);
    layout->addWidget(m_contextError);
    layout->addWidget(m_sweepBanner);

    auto *splitter = new QSplitter(Qt::Horizontal, central);
    splitter->setObjectName(QStringLiteral("mainSplitter"));
    layout->addWidget(splitter, 1);

    // Left: namespaces with pod counts and type-ahead.
    auto *left = new QWidget(splitter);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    m_namespaceFilter = new QLineEdit(left);
    m_namespaceFilter->setObjectName(QStringLiteral("namespaceFilter"));
    m_namespaceFilter->setPlaceholderText(tr("Namespaces (Ctrl+N)"));
    m_namespaceFilter->setClearButtonEnabled(true);
    leftLayout->addWidget(m_namespaceFilter);
    m_allNamespaces = new QToolButton(left);
    m_allNamespaces->setObjectName(QStringLiteral("allNamespaces"));
    m_allNamespaces->setText(tr("All namespaces"));
    m_allNamespaces->setCheckable(true);
    m_allNamespaces->setAutoRaise(true);
    m_allNamespaces->setToolButtonStyle(Qt::ToolButtonTextOnly);
    m_allNamespaces->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    leftLayout->addWidget(m_allNamespaces);
    m_namespaceProxy = new QSortFilterProxyModel(this);
    m_namespaceProxy->setSourceModel(m_namespaces);
    m_namespaceProxy->setFilterRole(NamespaceListModel::NameRole);
    m_namespaceProxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_namespaceProxy->setSortRole(NamespaceListModel::NameRole);
    m_namespaceProxy->sort(0);
    m_namespaceView = new QListView(left);
    m_namespaceView->setObjectName(QStringLiteral("namespaceView"));
    m_namespaceView->setModel(m_namespaceProxy);
    m_namespaceView->setItemDelegate(new NamespaceDelegate(m_namespaceView));
    m_namespaceView->setUniformItemSizes(true);
    m_namespaceView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    leftLayout->addWidget(m_namespaceView, 1);
    connect(m_namespaceFilter, &QLineEdit::textChanged, m_namespaceProxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_namespaceFilter, &QLineEdit::returnPressed, this, [this] {
        // Type-ahead: Enter takes the first match.
        if (m_namespaceProxy->rowCount() > 0) {
            m_namespaceView->setCurrentIndex(m_namespaceProxy->index(0, 0));
            m_podView->setFocus();
        }
    });
    connect(m_namespaceView->selectionModel(), &QItemSelectionModel::currentChanged, this,
        &MainWindow::onNamespaceSelectionChanged);
    connect(m_allNamespaces, &QToolButton::clicked, this, [this] { selectNamespace({}); });

    // Middle: the filter, the stale banner and the pod table.
    auto *middle = new QWidget(splitter);
    auto *middleLayout = new QVBoxLayout(middle);
    middleLayout->setContentsMargins(0, 0, 0, 0);
    auto *filterRow = new QHBoxLayout;
    m_podFilter = new QLineEdit(middle);
    m_podFilter->setObjectName(QStringLiteral("podFilter"));
    m_podFilter->setPlaceholderText(tr("Filter pods (Ctrl+F): name   app=web   node:worker-1"));
    m_podFilter->setClearButtonEnabled(true);
    filterRow->addWidget(m_podFilter, 1);
    m_podCount = new QLabel(middle);
    m_podCount->setObjectName(QStringLiteral("podCount"));
    filterRow->addWidget(m_podCount);
    middleLayout->addLayout(filterRow);
    m_staleBanner = makeBanner(QStringLiteral("staleBanner"), QStringLiteral("#fff3cd"), middle);
    middleLayout->addWidget(m_staleBanner);

    // Two layers: the lower one sorts, the upper one filters in that order, so a keystroke never
    // sorts every pod again.
    auto *sorted = new PodSortProxyModel(m_pods, this);
    m_podProxy = new PodFilterProxyModel(sorted, this);
    m_podView = new QTableView(middle);
    m_podView->setObjectName(QStringLiteral("podView"));
    m_podView->setModel(m_podProxy);
    m_podView->setSortingEnabled(true);
    m_podView->sortByColumn(0, Qt::AscendingOrder);
    m_podView->setSelectionBehavior(QAbstractItemView::SelectRows);
    // Ctrl/Shift-click picks several pods for one tap; the details panel follows the current one.
    m_podView->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_podView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_podView->setAlternatingRowColors(true);
    m_podView->setShowGrid(false);
    m_podView->setWordWrap(false);
    m_podView->verticalHeader()->hide();
    // Fixed rows: the view never measures 100k rows to lay them out.
    m_podView->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_podView->verticalHeader()->setDefaultSectionSize(m_podView->fontMetrics().height() + 8);
    m_podView->horizontalHeader()->setHighlightSections(false);
    m_podView->horizontalHeader()->setDefaultAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    middleLayout->addWidget(m_podView, 1);
    connect(m_podFilter, &QLineEdit::textChanged, m_podProxy, &PodFilterProxyModel::setFilterText);
    connect(m_podFilter, &QLineEdit::returnPressed, this, [this] {
        if (m_podProxy->rowCount() > 0) {
            m_podView->setFocus();
            m_podView->setCurrentIndex(m_podProxy->index(0, 0));
        }
    });
    connect(m_podView, &QTableView::activated, this, &MainWindow::tapSelectedPod);
    connect(
        m_podView->selectionModel(), &QItemSelectionModel::currentRowChanged, this, &MainWindow::onPodSelectionChanged);
    const auto updateCount = [this] {
        m_podCount->setText(tr("%1 of %2 pods").arg(m_podProxy->rowCount()).arg(m_pods->rowCount()));
    };
    for (QAbstractItemModel *model : {static_cast<QAbstractItemModel *>(m_podProxy)}) {
        connect(model, &QAbstractItemModel::rowsInserted, this, updateCount);
        connect(model, &QAbstractItemModel::rowsRemoved, this, updateCount);
        connect(model, &QAbstractItemModel::modelReset, this, updateCount);
        connect(model, &QAbstractItemModel::layoutChanged, this, updateCount);
    }
    // The first page of pods is shown while the rest is listed; the reset that swaps in the whole
    // list must not take the operator's selection away.
    connect(m_podProxy, &QAbstractItemModel::modelAboutToBeReset, this, [this] {
        m_selectedUidBeforeReset = m_podView->currentIndex().data(PodTableModel::UidRole).toString();
        m_otherSelectedUidsBeforeReset.clear();
        const QModelIndexList rows = m_podView->selectionModel()->selectedRows();
        if (rows.size() > 1 && rows.size() <= kMaxRestoredSelection) {
            for (const QModelIndex &row : rows) {
                const QString uid = row.data(PodTableModel::UidRole).toString();
                if (uid != m_selectedUidBeforeReset)
                    m_otherSelectedUidsBeforeReset << uid;
            }
        }
    });
    connect(m_podProxy, &QAbstractItemModel::modelReset, this, [this] {
        const QString uid = std::exchange(m_selectedUidBeforeReset, QString());
        const QStringList others = std::exchange(m_otherSelectedUidsBeforeReset, QStringList());
        const int sourceRow = uid.isEmpty() ? -1 : m_pods->rowOf(uid);
        const QModelIndex index = m_podProxy->indexOfPod(sourceRow);
        if (!index.isValid())
            return;
        m_podView->selectionModel()->setCurrentIndex(
            index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        for (const QString &other : others) {
            const QModelIndex row = m_podProxy->indexOfPod(m_pods->rowOf(other));
            if (row.isValid())
                m_podView->selectionModel()->select(row, QItemSelectionModel::Select | QItemSelectionModel::Rows);
        }
        m_podView->scrollTo(index);
    });
    connect(m_pods, &PodTableModel::staleChanged, this, &MainWindow::updateConnectionState);
    connect(m_pods, &PodTableModel::allNamespacesChanged, this, &MainWindow::updateStatusDelegate);
    connect(m_pods, &PodTableModel::namespaceCountsChanged, m_namespaceView->viewport(), qOverload<>(&QWidget::update));
    connect(m_pods, &QAbstractItemModel::dataChanged, this, [this] {
        if (m_details->pod().isValid())
            m_details->refresh();
    });
    updateStatusDelegate();
    updateCount();

    // Right: the selected pod.
    m_details = new PodDetailsPanel(splitter);
    connect(m_details, &PodDetailsPanel::tapRequested, this, &MainWindow::tapCurrentPod);

    splitter->addWidget(left);
    splitter->addWidget(middle);
    splitter->addWidget(m_details);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setStretchFactor(2, 0);
    // The pod table gets the room: at 1280 px its Name column still shows typical pod names.
    splitter->setSizes({170, 900, 260});
    setCentralWidget(central);

    // Bottom: the sessions.
    auto *dock = new QDockWidget(tr("Sessions"), this);
    m_sessionsDock = dock;
    dock->setObjectName(QStringLiteral("sessionsDock"));
    // Closable now that View → Sessions Panel (F9) brings it back.
    dock->setFeatures(
        QDockWidget::DockWidgetClosable | QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    m_sessions = new SessionsPanel(dock);
    dock->setWidget(m_sessions);
    m_captureOutput = m_sessions->findChild<QPlainTextEdit *>(QStringLiteral("tsharkOutput"));
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    resizeDocks({dock}, {170}, Qt::Vertical);
    connect(m_sessions, &SessionsPanel::allStopped, this, [this] {
        if (m_closing)
            close();
    });
    // "+shop/cart-7f9 tapped on worker-2": seen even while the Sessions panel shows another tap.
    connect(m_sessions, &SessionsPanel::memberEvent, this,
        [this](SessionHandle *, const QString &text) { statusBar()->showMessage(text, 10000); });

    // Status bar: the server and the connection.
    // The server's version and the connection's host come from the cluster and the kubeconfig.
    m_versionLabel = plainLabel(this);
    m_versionLabel->setObjectName(QStringLiteral("serverVersion"));
    m_connectionLabel = plainLabel(this);
    m_connectionLabel->setObjectName(QStringLiteral("connectionState"));
    statusBar()->addPermanentWidget(m_versionLabel);
    statusBar()->addPermanentWidget(m_connectionLabel);
}

void MainWindow::buildActions()
{
    const auto add = [this](QMenu *menu, const QString &text, const QKeySequence &key, const char *name, auto slot) {
        auto *action = menu->addAction(text);
        action->setObjectName(QLatin1String(name));
        action->setShortcut(key);
        action->setShortcutContext(Qt::WindowShortcut);
        connect(action, &QAction::triggered, this, slot);
        // Also on the window itself, so the shortcut works while the menu bar is hidden (and in tests).
        addAction(action);
        return action;
    };

    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->setObjectName(QStringLiteral("menuFile"));
    // Sessions have no capture file of their own yet (a tap that saves to a file writes where the
    // dialog said); what there is to save is the packet lines tshark printed in the Sessions panel.
    m_saveCaptureOutput = add(file, tr("&Save tshark Output…"), QKeySequence(Qt::CTRL | Qt::Key_S),
        "actionSaveCaptureOutput", &MainWindow::saveCaptureOutputAs);
    m_saveCaptureOutput->setStatusTip(
        tr("Save the packet lines tshark printed in the Sessions panel as a text file (not a pcap)"));
    m_saveCaptureOutput->setEnabled(canSaveCaptureOutput());
    connect(m_captureOutput, &QPlainTextEdit::textChanged, this,
        [this] { m_saveCaptureOutput->setEnabled(canSaveCaptureOutput()); });
    file->addSeparator();
    add(file, tr("&Quit"), QKeySequence(Qt::CTRL | Qt::Key_Q), "actionQuit", &MainWindow::close)
        ->setMenuRole(QAction::QuitRole);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->setObjectName(QStringLiteral("menuView"));
    add(view, tr("Switch &Context…"), QKeySequence(Qt::CTRL | Qt::Key_K), "actionContext", [this] {
        m_contextCombo->setFocus(Qt::ShortcutFocusReason);
        m_contextCombo->showPopup();
    });
    add(view, tr("Find &Namespace"), QKeySequence(Qt::CTRL | Qt::Key_N), "actionNamespace", [this] {
        m_namespaceFilter->setFocus(Qt::ShortcutFocusReason);
        m_namespaceFilter->selectAll();
    });
    add(view, tr("&Filter Pods"), QKeySequence(Qt::CTRL | Qt::Key_F), "actionFilter", [this] {
        m_podFilter->setFocus(Qt::ShortcutFocusReason);
        m_podFilter->selectAll();
    });
    view->addSeparator();
    QAction *sessions = m_sessionsDock->toggleViewAction();
    sessions->setText(tr("&Sessions Panel"));
    sessions->setObjectName(QStringLiteral("actionShowSessions"));
    sessions->setShortcut(QKeySequence(Qt::Key_F9));
    view->addAction(sessions);
    addAction(sessions);
    QAction *details = add(view, tr("Pod &Details Panel"), QKeySequence(Qt::Key_F8), "actionShowDetails",
        [this](bool checked) { m_details->setVisible(checked); });
    details->setCheckable(true);
    details->setChecked(true);

    QMenu *tap = menuBar()->addMenu(tr("&Tap"));
    tap->setObjectName(QStringLiteral("menuTap"));
    add(tap, tr("&Tap the Selected Pods…"), QKeySequence(Qt::CTRL | Qt::Key_T), "actionTapPod",
        &MainWindow::tapSelectedPod)
        ->setStatusTip(tr("Tap the selected pod, or several selected pods (Ctrl/Shift-click) into one capture"));
    add(tap, tr("&Stop the Selected Tap"), QKeySequence(Qt::CTRL | Qt::Key_W), "actionStopSession",
        [this] { m_sessions->stopSelected(); });

    QMenu *tools = menuBar()->addMenu(tr("T&ools"));
    tools->setObjectName(QStringLiteral("menuTools"));
    m_sweepAction = add(
        tools, tr("S&weep Leftovers…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_L), "actionSweepLeftovers", [this] {
            if (!client()) {
                statusBar()->showMessage(
                    tr("Not connected to a cluster: choose a context (Ctrl+K) to look for leftover agent pods."),
                    10000);
                return;
            }
            statusBar()->showMessage(tr("Looking for leftover podtap agent pods…"), 10000);
            findLeftovers();
        });
    m_sweepAction->setStatusTip(tr("Look again for agent pods of sessions that are gone, and offer to remove them"));
    add(tools, tr("Add Pods to &Wireshark's Interfaces"), QKeySequence(), "actionInstallExtcap",
        [this] {
            // What `podtapctl extcap install` does: link podtap-extcap into Wireshark's personal extcap folders.
            const QString extcap = findExtcapExecutable(QCoreApplication::applicationDirPath());
            const ExtcapInstallResult result = extcap.isEmpty()
                ? ExtcapInstallResult {{}, {},
                      {tr("podtap-extcap was not found next to podtap or in ../libexec/podtap: "
                          "reinstall podtap, or set PODTAP_EXTCAP to its path.")}}
                : installExtcapLinks(
                      extcap, personalExtcapFolders(QDir::homePath(), QProcessEnvironment::systemEnvironment()));
            auto *box = new QMessageBox(result.ok() ? QMessageBox::Information : QMessageBox::Warning,
                tr("Wireshark extcap"),
                result.ok() ? tr("Wireshark now lists \"Kubernetes pod (podtap)\" among its interfaces (restart it, or "
                                 "press F5 in its interface list). Installed:\n%1")
                                  .arg(result.summary())
                            : tr("The podtap extcap could not be installed everywhere:\n%1").arg(result.summary()),
                QMessageBox::Ok, this);
            box->setObjectName(QStringLiteral("extcapInstallMessage"));
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->open();
        })
        ->setStatusTip(
            tr("Link podtap-extcap into Wireshark's personal extcap folders, as podtapctl extcap install does"));

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->setObjectName(QStringLiteral("menuHelp"));
    add(help, tr("podtap &Documentation"), QKeySequence(Qt::Key_F1), "actionDocumentation", [] {
        QDesktopServices::openUrl(QUrl(QLatin1String(kHomepageUrl)));
    })->setStatusTip(tr("Open the README on %1").arg(QLatin1String(kHomepageUrl)));
    help->addSeparator();
    add(help, tr("&About podtap"), QKeySequence(), "actionAbout", &MainWindow::showAbout)
        ->setMenuRole(QAction::AboutRole);
}

QString MainWindow::aboutText() const
{
    // The server's version comes from the cluster: escaped like every other cluster text.
    const QString version = client() ? m_session->serverVersion() : QString();
    const QString server = version.isEmpty() ? tr("not connected") : version.toHtmlEscaped();
    return tr("<h3>podtap %1</h3>"
              "<p>Taps a Kubernetes pod's traffic into Wireshark.</p>"
              "<p>Qt %2 (built with %3)<br>Kubernetes API server: %4</p>"
              "<p>Documentation: <a href=\"%5\">%5</a></p>")
        .arg(QLatin1String(kVersion), QString::fromLatin1(qVersion()), QStringLiteral(QT_VERSION_STR), server,
            QString::fromLatin1(kHomepageUrl).toHtmlEscaped());
}

void MainWindow::showAbout()
{
    QMessageBox box(this);
    box.setObjectName(QStringLiteral("aboutBox"));
    box.setWindowTitle(tr("About podtap"));
    box.setIconPixmap(windowIcon().pixmap(64, 64));
    box.setTextFormat(Qt::RichText);
    box.setText(aboutText());
    box.setTextInteractionFlags(Qt::TextBrowserInteraction);
    box.exec();
}

bool MainWindow::canSaveCaptureOutput() const
{
    return m_captureOutput && !m_captureOutput->document()->isEmpty();
}

QString MainWindow::saveCaptureOutput(const QString &path) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text))
        return tr("Cannot write %1: %2. Choose another place.").arg(path, file.errorString());
    file.write(m_captureOutput->toPlainText().toUtf8());
    file.write("\n");
    if (!file.commit())
        return tr("Cannot write %1: %2. Choose another place.").arg(path, file.errorString());
    return {};
}

void MainWindow::saveCaptureOutputAs()
{
    if (!canSaveCaptureOutput())
        return;
    const QString path = QFileDialog::getSaveFileName(this, tr("Save tshark Output"),
        QStringLiteral("podtap-tshark-%1.txt")
            .arg(QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"))),
        tr("Text files (*.txt);;All files (*)"));
    if (path.isEmpty())
        return;
    const QString error = saveCaptureOutput(path);
    statusBar()->showMessage(error.isEmpty() ? tr("Saved the tshark output to %1.").arg(path) : error, 15000);
}

void MainWindow::populateContexts(const QString &preferred)
{
    const QSignalBlocker blocker(m_contextCombo);
    m_contextCombo->clear();
    auto *model = qobject_cast<QStandardItemModel *>(m_contextCombo->model());
    for (const kube::KubeconfigContext &context : std::as_const(m_kubeconfig.contexts)) {
        const bool broken = !context.error.isEmpty() || !context.config;
        QString text = context.name;
        if (broken)
            text += tr("  — unusable: %1").arg(context.error.section(QLatin1Char('\n'), 0, 0));
        m_contextCombo->addItem(
            broken ? QIcon::fromTheme(QStringLiteral("dialog-warning")) : QIcon(), text, context.name);
        const int row = m_contextCombo->count() - 1;
        m_contextCombo->setItemData(row, context.error, kContextErrorRole);
        m_contextCombo->setItemData(row,
            plainToolTip(broken
                    ? context.error
                    : tr("%1 as %2 (%3)").arg(context.cluster, context.user, context.config->server.toString())),
            Qt::ToolTipRole);
        if (broken && model)
            model->item(row)->setForeground(QColor(QStringLiteral("#c62828")));
    }
    if (m_kubeconfig.contexts.isEmpty()) {
        QString why = m_kubeconfig.fileErrors.join(QLatin1Char('\n'));
        if (why.isEmpty())
            why = tr("No kubeconfig found. Start podtap with --kubeconfig FILE, set KUBECONFIG, or create "
                     "~/.kube/config.");
        showBanner(m_contextError, why);
        m_contextCombo->setEnabled(false);
        updateConnectionState();
        return;
    }
    m_contextCombo->setEnabled(true);
    switchContext(preferred.isEmpty() ? m_kubeconfig.contexts.first().name : preferred);
}

void MainWindow::switchContext(const QString &name)
{
    const int row = m_contextCombo->findData(name, kContextNameRole);
    if (row >= 0 && m_contextCombo->currentIndex() != row) {
        const QSignalBlocker blocker(m_contextCombo);
        m_contextCombo->setCurrentIndex(row);
    }
    disconnectCluster();
    m_context = name;

    m_session = new kube::ClusterSession(m_kubeconfig, name, this);
    QStringList problems;
    if (!m_kubeconfig.fileErrors.isEmpty())
        problems << m_kubeconfig.fileErrors;
    if (!m_kubeconfig.context(name)) {
        problems.prepend(tr("Context %1 is not in the kubeconfig.").arg(name));
    } else if (m_session->isUnusable() || !m_session->contextProblem().isEmpty()) {
        problems.prepend(tr("Context %1 cannot be used: %2\nChoose another context (Ctrl+K) or fix the kubeconfig.")
                             .arg(name, m_session->contextProblem()));
    }
    if (m_session->isInsecure())
        problems << tr("The kubeconfig turns certificate verification off for %1: the server's identity is not "
                       "checked.")
                        .arg(name);
    if (problems.isEmpty())
        m_contextError->hide();
    else
        showBanner(m_contextError, problems.join(QLatin1Char('\n')));

    if (m_session->isUnusable()) {
        updateConnectionState();
        return;
    }
    ConsoleSettings::setLastContext(name);

    // The window only binds its models and labels to the session.
    m_session->start();
    m_pods->connectTo(m_session->podWatch());
    m_namespaces->connectTo(m_session->namespaceWatch());
    m_nodes->connectTo(m_session->nodeWatch());
    connect(m_session, &kube::ClusterSession::stateChanged, this, &MainWindow::updateConnectionState);
    connect(m_session, &kube::ClusterSession::serverVersionKnown, this, &MainWindow::serverVersionKnown);
    connect(m_session->namespaceWatch(), &kube::ListWatch::relistFinished, this, [this, name] {
        // Restore the namespace once it exists in the list.
        if (!m_namespaceView->currentIndex().isValid() && !m_allNamespaces->isChecked())
            selectNamespace(ConsoleSettings::lastNamespace(name));
    });
    const QString remembered = ConsoleSettings::lastNamespace(name);
    selectNamespace(remembered);
    updateConnectionState();
    Q_EMIT clusterConnected(m_session->client());
}

void MainWindow::disconnectCluster()
{
    // Leftovers belong to the cluster they were found in.
    delete m_sweep.data();
    offerSweep({});
    delete m_session.data();
    // A new context starts empty, not with the old cluster's pods.
    m_pods->beginRelist();
    m_pods->endRelist();
    m_pods->setStale(false);
    m_namespaces->beginRelist();
    m_namespaces->endRelist();
    m_nodes->beginRelist();
    m_nodes->endRelist();
}

kube::KubeClient *MainWindow::client() const
{
    return m_session ? m_session->client() : nullptr;
}

QString MainWindow::currentNamespace() const
{
    return m_podProxy->namespaceName();
}

void MainWindow::selectNamespace(const QString &namespaceName)
{
    m_podProxy->setNamespace(namespaceName);
    m_pods->setAllNamespaces(namespaceName.isEmpty());
    m_allNamespaces->setChecked(namespaceName.isEmpty());
    const int sourceRow = namespaceName.isEmpty() ? -1 : m_namespaces->rowOf(namespaceName);
    const QModelIndex index =
        sourceRow < 0 ? QModelIndex() : m_namespaceProxy->mapFromSource(m_namespaces->index(sourceRow));
    {
        const QSignalBlocker blocker(m_namespaceView->selectionModel());
        if (index.isValid())
            m_namespaceView->selectionModel()->setCurrentIndex(index, QItemSelectionModel::ClearAndSelect);
        else
            m_namespaceView->selectionModel()->clearSelection();
        if (!index.isValid())
            m_namespaceView->selectionModel()->setCurrentIndex({}, QItemSelectionModel::NoUpdate);
    }
    if (!m_context.isEmpty())
        ConsoleSettings::setLastNamespace(m_context, namespaceName);
    setWindowTitle(namespaceName.isEmpty() ? QStringLiteral("podtap — %1").arg(m_context)
                                           : QStringLiteral("podtap — %1 — %2").arg(m_context, namespaceName));
}

void MainWindow::onNamespaceSelectionChanged()
{
    const QModelIndex current = m_namespaceView->currentIndex();
    selectNamespace(current.isValid() ? current.data(NamespaceListModel::NameRole).toString() : QString());
}

void MainWindow::updateStatusDelegate()
{
    for (int column = 0; column < m_pods->columnCount(); ++column) {
        m_podView->setItemDelegateForColumn(column, nullptr);
        if (m_pods->columnAt(column) == PodTableModel::StatusColumn)
            m_podView->setItemDelegateForColumn(column, new PodStatusDelegate(m_podView));
    }
    // Widths from the font, the header texts and what a cell typically holds, never from the rows
    // (a cluster may have 100k pods). Name takes what is left, so IP and Node stay in view.
    QHeaderView *header = m_podView->horizontalHeader();
    header->setStretchLastSection(false);
    const QFontMetrics cellMetrics = m_podView->fontMetrics();
    const QFontMetrics headerMetrics = header->fontMetrics();
    const int cellPadding = 2 * (m_podView->style()->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, m_podView) + 4);
    // Room for the sort arrow next to the header text.
    const int headerPadding = 2 * header->style()->pixelMetric(QStyle::PM_HeaderMargin, nullptr, header) +
        header->style()->pixelMetric(QStyle::PM_HeaderMarkSize, nullptr, header) + 8;
    for (int column = 0; column < m_pods->columnCount(); ++column) {
        const PodTableModel::Column kind = m_pods->columnAt(column);
        QString sample;
        int extra = 0;
        switch (kind) {
        case PodTableModel::NamespaceColumn:
            sample = QStringLiteral("kube-node-lease");
            break;
        case PodTableModel::NameColumn:
            sample = QStringLiteral("checkout-7d9f8b6c5d-x2k4p");
            break;
        case PodTableModel::ReadyColumn:
            sample = QStringLiteral("10/10");
            break;
        case PodTableModel::StatusColumn:
            sample = QStringLiteral("ContainerCreating");
            extra = 16 + 6; // the status dot (PodStatusDelegate)
            break;
        case PodTableModel::RestartsColumn:
            sample = QStringLiteral("99 (59m59s ago)"); // kubectl: count and the last restart's age
            break;
        case PodTableModel::AgeColumn:
            sample = QStringLiteral("365d");
            break;
        case PodTableModel::IpColumn:
            sample = QStringLiteral("203.113.255.255");
            break;
        case PodTableModel::NodeColumn:
            sample = QStringLiteral("worker-pool-a-12");
            break;
        case PodTableModel::ColumnCount:
            break;
        }
        const QString title = m_pods->headerData(column, Qt::Horizontal).toString();
        const int width = std::max(cellMetrics.horizontalAdvance(sample) + extra + cellPadding,
            headerMetrics.horizontalAdvance(title) + headerPadding);
        header->setSectionResizeMode(
            column, kind == PodTableModel::NameColumn ? QHeaderView::Stretch : QHeaderView::Interactive);
        header->resizeSection(column, width);
    }
}

void MainWindow::updateConnectionState()
{
    using State = kube::ClusterSession::State;
    const kube::KubeClient *cluster = client();
    const QString error = cluster ? m_session->errorText() : QString();
    QString state;
    if (!cluster) {
        state = tr("Not connected");
    } else if (m_pods->isStale() || m_session->state() == State::Stale) {
        state = tr("Connection lost, reconnecting…");
    } else if (m_session->state() == State::Error) {
        state = tr("Cannot reach the API server");
    } else if (m_session->state() == State::Synced) {
        state = tr("Connected to %1").arg(m_session->serverHost());
    } else {
        state = tr("Connecting to %1…").arg(m_session->serverHost());
    }
    const QString version = cluster ? m_session->serverVersion() : QString();
    m_connectionLabel->setText(state);
    m_connectionLabel->setToolTip(plainToolTip(error));
    m_versionLabel->setText(version.isEmpty() ? QString() : tr("Kubernetes %1").arg(version));

    if (m_pods->isStale()) {
        showBanner(m_staleBanner,
            tr("Connection to the API server lost. The pods below are as they were at %1 and may have "
               "changed; podtap keeps reconnecting.%2")
                .arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss")),
                    error.isEmpty() ? QString() : QLatin1Char('\n') + error));
    } else {
        m_staleBanner->hide();
    }
}

void MainWindow::onPodSelectionChanged()
{
    m_details->setPod(m_podView->currentIndex());
}

void MainWindow::showBanner(QLabel *banner, const QString &text)
{
    // Always plain text (the banners are made with Qt::PlainText), whatever a caller passes.
    banner->setTextFormat(Qt::PlainText);
    banner->setText(text);
    banner->show();
}

void MainWindow::tapSelectedPod()
{
    QModelIndexList rows = m_podView->selectionModel()->selectedRows();
    // One pod selected (or none): the pod Enter was pressed on, as before multi-select.
    if (rows.size() <= 1)
        rows = {m_podView->currentIndex()};
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    tapPods(rows);
}

void MainWindow::tapCurrentPod()
{
    tapPods({m_podView->currentIndex()});
}

QStringList MainWindow::selectedPods() const
{
    QModelIndexList rows = m_podView->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex &a, const QModelIndex &b) { return a.row() < b.row(); });
    QStringList pods;
    for (const QModelIndex &row : std::as_const(rows)) {
        if (const cluster::PodRow *pod = PodTableModel::podAt(row))
            pods << pod->namespaceName + QLatin1Char('/') + pod->name;
    }
    return pods;
}

namespace {

/// The interfaces every one of @p pods can have tapped: the first pod's, each marked untappable with the
/// reason when another pod lacks it or cannot have it tapped.
QList<cluster::TapInterface> commonInterfaces(const QList<const cluster::PodRow *> &pods)
{
    QList<cluster::TapInterface> common = cluster::tapInterfaces(*pods.first());
    for (qsizetype i = 1; i < pods.size(); ++i) {
        const QList<cluster::TapInterface> theirs = cluster::tapInterfaces(*pods.at(i));
        const QString pod = pods.at(i)->namespaceName + QLatin1Char('/') + pods.at(i)->name;
        for (cluster::TapInterface &choice : common) {
            if (!choice.tappable)
                continue;
            const auto found = std::find_if(theirs.begin(), theirs.end(),
                [&choice](const cluster::TapInterface &other) { return other.name == choice.name; });
            if (found == theirs.end()) {
                choice.tappable = false;
                choice.reason = QCoreApplication::translate("podtap", "%1 has no %2").arg(pod, choice.name);
            } else if (!found->tappable) {
                choice.tappable = false;
                choice.reason = QStringLiteral("%1: %2").arg(pod, found->reason);
            }
        }
    }
    return common;
}

} // namespace

void MainWindow::tapPods(const QList<QModelIndex> &rows)
{
    QList<const cluster::PodRow *> pods;
    for (const QModelIndex &row : rows) {
        if (const cluster::PodRow *pod = row.isValid() ? PodTableModel::podAt(row) : nullptr)
            pods << pod;
    }
    if (pods.isEmpty())
        return;
    if (pods.size() == 1) {
        const cluster::PodRow *pod = pods.first();
        TapDialog dialog(pod->namespaceName, pod->name, this);
        dialog.setInterfaces(cluster::tapInterfaces(*pod));
        QStringList nodes;
        for (int row = 0; row < m_nodes->rowCount(); ++row)
            nodes << m_nodes->at(row).name;
        dialog.setNodes(nodes);
        if (dialog.exec() != QDialog::Accepted)
            return;
        startTap(dialog.request(), dialog.tool(), dialog.saveFile());
        return;
    }
    QStringList keys;
    for (const cluster::PodRow *pod : std::as_const(pods))
        keys << pod->namespaceName + QLatin1Char('/') + pod->name;
    QStringList notRunning;
    for (const cluster::PodRow *pod : std::as_const(pods)) {
        if (pod->status != QLatin1String("Running"))
            notRunning << QStringLiteral("%1/%2 (%3)").arg(pod->namespaceName, pod->name, pod->status);
    }
    TapDialog dialog(keys, this);
    dialog.setInterfaces(commonInterfaces(pods));
    dialog.setPodsNotRunning(notRunning);
    if (dialog.exec() != QDialog::Accepted)
        return;
    startWorkloadTap(dialog.workloadRequest(), dialog.tool(), dialog.saveFile());
}

void MainWindow::startTap(const TapRequest &request, TapTool tool, const QString &saveFile)
{
    // Tests set their own factory; otherwise the console taps through core's TapSession.
    const SessionFactory factory = m_sessionFactory ? m_sessionFactory : SessionFactory(&createTapSession);
    if (SessionHandle *session = factory(client(), request, tool, saveFile)) {
        m_sessions->addSession(session);
        m_sessions->parentWidget()->show();
    }
}

void MainWindow::startWorkloadTap(const WorkloadTapRequest &request, TapTool tool, const QString &saveFile)
{
    const WorkloadSessionFactory factory =
        m_workloadSessionFactory ? m_workloadSessionFactory : WorkloadSessionFactory(&createWorkloadTapSession);
    if (SessionHandle *session = factory(client(), request, tool, saveFile)) {
        m_sessions->addSession(session);
        m_sessions->parentWidget()->show();
    }
}

void MainWindow::offerSweep(const QStringList &leftoverPods)
{
    m_leftovers = leftoverPods;
    if (leftoverPods.isEmpty()) {
        m_sweepBanner->hide();
        return;
    }
    QStringList reasons;
    if (m_sweep) {
        for (const AgentPodInfo &pod : m_sweep->leftovers()) {
            if (leftoverPods.contains(pod.name))
                reasons << tr("%1: %2").arg(pod.name, pod.deadReason);
        }
    }
    const int count = int(leftoverPods.size());
    m_sweepText->setText((count == 1 ? tr("<b>1 podtap agent pod</b> of a session that is no longer running is still "
                                          "in the cluster: %1.")
                                     : tr("<b>%1 podtap agent pods</b> of sessions that are no longer running are "
                                          "still in the cluster: %2.")
                                           .arg(count))
                             .arg(leftoverPods.join(QStringLiteral(", ")).toHtmlEscaped()));
    m_sweepText->setToolTip(plainToolTip(reasons.join(QLatin1Char('\n'))));
    m_sweepBanner->show();
}

QSet<QString> MainWindow::liveSessionIds() const
{
    QSet<QString> ids;
    for (const SessionHandle *session : m_sessions->model()->sessions()) {
        if (session && session->isActive() && !session->sessionId().isEmpty())
            ids.insert(session->sessionId());
    }
    return ids;
}

void MainWindow::findLeftovers()
{
    if (!client())
        return;
    delete m_sweep.data();
    m_sweep = new SessionSweeper(client(), this);
    connect(m_sweep, &SessionSweeper::found, this, [this](const QList<AgentPodInfo> &pods) {
        QStringList names;
        for (const AgentPodInfo &pod : pods)
            names << pod.name;
        offerSweep(names);
    });
    connect(m_sweep, &SessionSweeper::failed, this,
        [this](const QString &error) { statusBar()->showMessage(error, 15000); });
    connect(m_sweep, &SessionSweeper::removed, this,
        [this](const QList<AgentPodInfo> &removedPods, const QStringList &errors) {
            const int removed = int(removedPods.size());
            if (errors.isEmpty()) {
                statusBar()->showMessage(removed == 1 ? tr("Removed 1 leftover podtap pod.")
                                                      : tr("Removed %1 leftover podtap pods.").arg(removed),
                    15000);
                return;
            }
            // Each error names its pod, the reason and the fix.
            statusBar()->showMessage(tr("Removed %1 leftover podtap pod(s); %2 could not be removed: %3")
                                         .arg(removed)
                                         .arg(errors.size())
                                         .arg(errors.join(QStringLiteral("; "))));
        });
    m_sweep->find(ConsoleSettings::agentNamespace(), TapPlan::kDefaultHeartbeatTimeoutSeconds, liveSessionIds());
}

void MainWindow::removeLeftovers(const QStringList &names)
{
    if (!m_sweep)
        return;
    QList<AgentPodInfo> pods;
    for (const AgentPodInfo &pod : m_sweep->leftovers()) {
        if (names.contains(pod.name))
            pods << pod;
    }
    statusBar()->showMessage(tr("Removing %n leftover podtap pod(s)…", nullptr, int(pods.size())));
    m_sweep->remove(pods, 0, liveSessionIds());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    const int active = m_sessions->model()->activeCount();
    if (active == 0) {
        QSettings().setValue(QStringLiteral("window/geometry"), saveGeometry());
        event->accept();
        return;
    }
    if (!m_closing) {
        const auto answer = QMessageBox::question(this, tr("Stop taps and quit?"),
            tr("%n tap(s) are still running. Quitting stops them and removes their agent pods.", nullptr, active),
            QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel);
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
        m_closing = true;
        statusBar()->showMessage(tr("Stopping %n tap(s)…", nullptr, active));
        m_sessions->stopAll();
        // The agent also removes itself when the heartbeat stops, so do not hang here forever.
        QTimer::singleShot(kStopAllTimeoutMs, this, [this] {
            m_sessions->model()->removeFinished();
            QCoreApplication::quit();
        });
    }
    event->ignore();
}

} // namespace podtap::gui
