// SPDX-License-Identifier: Apache-2.0
#include "main_window.h"

#include "cluster/namespace_list_model.h"
#include "cluster/node_list_model.h"
#include "cluster/pod_table_model.h"
#include "console_settings.h"
#include "kube/kube_client.h"
#include "kube/list_watch.h"
#include "models/pod_filter_proxy_model.h"
#include "models/session_table_model.h"
#include "pod_details_panel.h"
#include "podtap/version.h"
#include "session_handle.h"
#include "sessions_panel.h"
#include "tap/agent_pod_spec.h"
#include "tap/session_sweep.h"
#include "widgets/namespace_delegate.h"
#include "widgets/pod_status_delegate.h"

#include <QAction>
#include <QCloseEvent>
#include <QComboBox>
#include <QCoreApplication>
#include <QDockWidget>
#include <QFrame>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStandardItemModel>
#include <QStatusBar>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

#include <utility>

namespace podtap::gui {

using cluster::NamespaceListModel;
using cluster::PodTableModel;

namespace {

constexpr int kContextNameRole = Qt::UserRole;
constexpr int kContextErrorRole = Qt::UserRole + 1;
constexpr int kStopAllTimeoutMs = 20000;

QLabel *makeBanner(const QString &objectName, const QString &background, QWidget *parent)
{
    auto *banner = new QLabel(parent);
    banner->setObjectName(objectName);
    banner->setWordWrap(true);
    banner->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::LinksAccessibleByMouse);
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
    setWindowIcon(QIcon(QStringLiteral(":/podtap/icons/podtap.svg")));
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
    // Toolbar: the context switcher and the tap action.
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
    auto *sorted = new PodFilterProxyModel(this);
    sorted->setObjectName(QStringLiteral("podSortProxy"));
    sorted->setSourceModel(m_pods);
    m_podProxy = new PodFilterProxyModel(this);
    m_podProxy->setSourceModel(sorted);
    m_podView = new QTableView(middle);
    m_podView->setObjectName(QStringLiteral("podView"));
    m_podView->setModel(m_podProxy);
    m_podView->setSortingEnabled(true);
    m_podView->sortByColumn(0, Qt::AscendingOrder);
    m_podView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_podView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_podView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_podView->setAlternatingRowColors(true);
    m_podView->setShowGrid(false);
    m_podView->setWordWrap(false);
    m_podView->verticalHeader()->hide();
    // Fixed rows: the view never measures 100k rows to lay them out.
    m_podView->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_podView->verticalHeader()->setDefaultSectionSize(m_podView->fontMetrics().height() + 8);
    m_podView->horizontalHeader()->setHighlightSections(false);
    m_podView->horizontalHeader()->setStretchLastSection(true);
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
    connect(m_podProxy, &QAbstractItemModel::modelAboutToBeReset, this,
        [this] { m_selectedUidBeforeReset = m_podView->currentIndex().data(PodTableModel::UidRole).toString(); });
    connect(m_podProxy, &QAbstractItemModel::modelReset, this, [this] {
        const QString uid = std::exchange(m_selectedUidBeforeReset, QString());
        const int sourceRow = uid.isEmpty() ? -1 : m_pods->rowOf(uid);
        const QModelIndex index = m_podProxy->indexOfPod(sourceRow);
        if (!index.isValid())
            return;
        m_podView->selectionModel()->setCurrentIndex(
            index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
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
    connect(m_details, &PodDetailsPanel::tapRequested, this, &MainWindow::tapSelectedPod);

    splitter->addWidget(left);
    splitter->addWidget(middle);
    splitter->addWidget(m_details);
    splitter->setStretchFactor(0, 0);
    splitter->setStretchFactor(1, 1);
    splitter->setStretchFactor(2, 0);
    splitter->setSizes({190, 900, 300});
    setCentralWidget(central);

    // Bottom: the sessions.
    auto *dock = new QDockWidget(tr("Sessions"), this);
    dock->setObjectName(QStringLiteral("sessionsDock"));
    dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
    m_sessions = new SessionsPanel(dock);
    dock->setWidget(m_sessions);
    addDockWidget(Qt::BottomDockWidgetArea, dock);
    resizeDocks({dock}, {170}, Qt::Vertical);
    connect(m_sessions, &SessionsPanel::allStopped, this, [this] {
        if (m_closing)
            close();
    });

    // Status bar: the server and the connection.
    m_versionLabel = new QLabel(this);
    m_versionLabel->setObjectName(QStringLiteral("serverVersion"));
    m_connectionLabel = new QLabel(this);
    m_connectionLabel->setObjectName(QStringLiteral("connectionState"));
    statusBar()->addPermanentWidget(m_versionLabel);
    statusBar()->addPermanentWidget(m_connectionLabel);
}

void MainWindow::buildActions()
{
    const auto add = [this](const QString &text, const QKeySequence &key, auto slot) {
        auto *action = new QAction(text, this);
        action->setShortcut(key);
        action->setShortcutContext(Qt::WindowShortcut);
        connect(action, &QAction::triggered, this, slot);
        addAction(action);
        return action;
    };
    add(tr("Switch context"), QKeySequence(Qt::CTRL | Qt::Key_K), [this] {
        m_contextCombo->setFocus(Qt::ShortcutFocusReason);
        m_contextCombo->showPopup();
    })->setObjectName(QStringLiteral("actionContext"));
    add(tr("Find namespace"), QKeySequence(Qt::CTRL | Qt::Key_N), [this] {
        m_namespaceFilter->setFocus(Qt::ShortcutFocusReason);
        m_namespaceFilter->selectAll();
    })->setObjectName(QStringLiteral("actionNamespace"));
    add(tr("Filter pods"), QKeySequence::Find, [this] {
        m_podFilter->setFocus(Qt::ShortcutFocusReason);
        m_podFilter->selectAll();
    })->setObjectName(QStringLiteral("actionFilter"));
    add(tr("Stop the selected tap"), QKeySequence(Qt::CTRL | Qt::Key_W), [this] {
        m_sessions->stopSelected();
    })->setObjectName(QStringLiteral("actionStopSession"));
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
            broken ? context.error
                   : tr("%1 as %2 (%3)").arg(context.cluster, context.user, context.config->server.toString()),
            Qt::ToolTipRole);
        if (broken && model)
            model->item(row)->setForeground(QColor(QStringLiteral("#c62828")));
    }
    if (m_kubeconfig.contexts.isEmpty()) {
        QString why = m_kubeconfig.fileErrors.join(QStringLiteral("<br>"));
        if (why.isEmpty())
            why = tr("No kubeconfig found. Start podtap with <tt>--kubeconfig FILE</tt>, set <tt>KUBECONFIG</tt>, or "
                     "create <tt>~/.kube/config</tt>.");
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
    m_serverVersion.clear();
    m_connectionError.clear();

    const kube::KubeconfigContext *context = m_kubeconfig.context(name);
    QStringList problems;
    if (!m_kubeconfig.fileErrors.isEmpty())
        problems << m_kubeconfig.fileErrors;
    if (!context) {
        problems.prepend(tr("Context %1 is not in the kubeconfig.").arg(name));
    } else if (!context->config || !context->error.isEmpty()) {
        problems.prepend(tr("Context <b>%1</b> cannot be used: %2<br>Choose another context (Ctrl+K) or fix the "
                            "kubeconfig.")
                             .arg(name.toHtmlEscaped(), context->error.toHtmlEscaped()));
    }
    if (context && context->config && context->config->insecureSkipTlsVerify)
        problems << tr("The kubeconfig turns certificate verification off for %1: the server's identity is not "
                       "checked.")
                        .arg(name.toHtmlEscaped());
    if (problems.isEmpty())
        m_contextError->hide();
    else
        showBanner(m_contextError, problems.join(QStringLiteral("<br>")));

    if (!context || !context->config) {
        updateConnectionState();
        return;
    }
    ConsoleSettings::setLastContext(name);

    m_client = new kube::KubeClient(*context->config, this);
    kube::KubeReply *version = m_client->get(QStringLiteral("/version"));
    version->onFinished(this, [this, client = m_client](kube::KubeReply *reply) {
        if (client != m_client)
            return;
        if (reply->ok()) {
            m_serverVersion = reply->json().value(QStringLiteral("gitVersion")).toString();
            Q_EMIT serverVersionKnown(m_serverVersion);
        } else {
            m_connectionError = reply->error().toString();
        }
        updateConnectionState();
    });

    m_podWatch = new kube::ListWatch(m_client, QStringLiteral("/api/v1/pods"), {}, this);
    m_namespaceWatch = new kube::ListWatch(m_client, QStringLiteral("/api/v1/namespaces"), {}, this);
    m_nodeWatch = new kube::ListWatch(m_client, QStringLiteral("/api/v1/nodes"), {}, this);
    m_pods->connectTo(m_podWatch);
    m_namespaces->connectTo(m_namespaceWatch);
    m_nodes->connectTo(m_nodeWatch);
    connect(m_podWatch, &kube::ListWatch::errorOccurred, this, [this](const kube::ApiError &error) {
        m_connectionError = error.toString();
        updateConnectionState();
    });
    connect(m_podWatch, &kube::ListWatch::relistFinished, this, [this] {
        m_connectionError.clear();
        updateConnectionState();
    });
    connect(m_podWatch, &kube::ListWatch::watchOpened, this, [this] {
        m_connectionError.clear();
        updateConnectionState();
    });
    connect(m_namespaceWatch, &kube::ListWatch::relistFinished, this, [this, name] {
        // Restore the namespace once it exists in the list.
        if (!m_namespaceView->currentIndex().isValid() && !m_allNamespaces->isChecked())
            selectNamespace(ConsoleSettings::lastNamespace(name));
    });
    const QString remembered = ConsoleSettings::lastNamespace(name);
    selectNamespace(remembered);
    m_podWatch->start();
    m_namespaceWatch->start();
    m_nodeWatch->start();
    updateConnectionState();
    Q_EMIT clusterConnected(m_client);
}

void MainWindow::disconnectCluster()
{
    // Leftovers belong to the cluster they were found in.
    delete m_sweep.data();
    offerSweep({});
    for (QPointer<kube::ListWatch> *watch : {&m_podWatch, &m_namespaceWatch, &m_nodeWatch}) {
        if (*watch) {
            (*watch)->stop();
            delete watch->data();
        }
    }
    if (m_client) {
        delete m_client.data();
    }
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
    return m_client;
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
    // Widths that fit typical content without measuring every row (a cluster may have 100k pods).
    const QFontMetrics metrics = m_podView->fontMetrics();
    for (int column = 0; column < m_pods->columnCount(); ++column) {
        int chars = 12;
        switch (m_pods->columnAt(column)) {
        case PodTableModel::NamespaceColumn:
            chars = 16;
            break;
        case PodTableModel::NameColumn:
            chars = 28;
            break;
        case PodTableModel::ReadyColumn:
        case PodTableModel::AgeColumn:
            chars = 7;
            break;
        case PodTableModel::RestartsColumn:
            chars = 15;
            break;
        case PodTableModel::StatusColumn:
            chars = 19;
            break;
        case PodTableModel::IpColumn:
            chars = 15;
            break;
        default:
            break;
        }
        m_podView->horizontalHeader()->resizeSection(
            column, metrics.horizontalAdvance(QLatin1Char('m')) * chars * 3 / 4 + 16);
    }
}

void MainWindow::updateConnectionState()
{
    QString state;
    if (!m_client) {
        state = tr("Not connected");
    } else if (m_pods->isStale()) {
        state = tr("Connection lost, reconnecting…");
    } else if (!m_connectionError.isEmpty()) {
        state = tr("Cannot reach the API server");
    } else if (m_podWatch && m_podWatch->isSynced()) {
        state = tr("Connected to %1").arg(m_client->config().server.host());
    } else {
        state = tr("Connecting to %1…").arg(m_client->config().server.host());
    }
    m_connectionLabel->setText(state);
    m_connectionLabel->setToolTip(m_connectionError);
    m_versionLabel->setText(m_serverVersion.isEmpty() ? QString() : tr("Kubernetes %1").arg(m_serverVersion));

    if (m_pods->isStale()) {
        showBanner(m_staleBanner,
            tr("<b>Connection to the API server lost.</b> The pods below are as they were at %1 and may have "
               "changed; podtap keeps reconnecting.%2")
                .arg(QTime::currentTime().toString(QStringLiteral("HH:mm:ss")),
                    m_connectionError.isEmpty() ? QString()
                                                : QStringLiteral("<br>%1").arg(m_connectionError.toHtmlEscaped())));
    } else {
        m_staleBanner->hide();
    }
}

void MainWindow::onPodSelectionChanged()
{
    m_details->setPod(m_podView->currentIndex());
}

void MainWindow::showBanner(QLabel *banner, const QString &html)
{
    banner->setText(html);
    banner->show();
}

void MainWindow::tapSelectedPod()
{
    const QModelIndex current = m_podView->currentIndex();
    if (!current.isValid())
        return;
    const QString namespaceName = current.data(PodTableModel::NamespaceRole).toString();
    const QString pod = current.data(PodTableModel::NameRole).toString();
    TapDialog dialog(namespaceName, pod, this);
    dialog.setInterfaces(tapInterfaceChoices(current.data(PodTableModel::InterfacesRole)));
    QStringList nodes;
    for (int row = 0; row < m_nodes->rowCount(); ++row)
        nodes << m_nodes->at(row).name;
    dialog.setNodes(nodes);
    if (dialog.exec() != QDialog::Accepted)
        return;
    startTap(dialog.request(), dialog.tool(), dialog.saveFile());
}

void MainWindow::startTap(const TapRequest &request, TapTool tool, const QString &saveFile)
{
    if (!m_sessionFactory) {
        statusBar()->showMessage(tr("Tapping is not available in this build yet."), 10000);
        return;
    }
    if (SessionHandle *session = m_sessionFactory(m_client, request, tool, saveFile)) {
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
    m_sweepText->setToolTip(reasons.join(QLatin1Char('\n')));
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
    if (!m_client)
        return;
    delete m_sweep.data();
    m_sweep = new SessionSweeper(m_client, this);
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
