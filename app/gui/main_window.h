// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "kube/cluster_session.h"
#include "kube/kubeconfig.h"
#include "tap_dialog.h"

#include <QMainWindow>
#include <QPointer>
#include <QSet>

#include <functional>

class QAction;
class QComboBox;
class QDockWidget;
class QFrame;
class QLabel;
class QLineEdit;
class QListView;
class QPlainTextEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;
class QToolButton;

namespace podtap::kube {
class KubeClient;
} // namespace podtap::kube

namespace podtap {
class SessionSweeper;
} // namespace podtap

namespace podtap::cluster {
class NamespaceListModel;
class NodeListModel;
class PodTableModel;
} // namespace podtap::cluster

namespace podtap::gui {

class PodDetailsPanel;
class PodFilterProxyModel;
class SessionHandle;
class SessionsPanel;

/// @brief What the command line (`--kubeconfig`, `--context`) and tests choose for the window.
struct MainWindowOptions
{
    kube::KubeconfigLoadOptions kubeconfig;
    QString context; ///< empty: the last one used, else current-context
};

/// @brief Starts one tap; returns the handle the Sessions panel shows (it takes ownership).
using SessionFactory = std::function<SessionHandle *(
    kube::KubeClient *client, const TapRequest &request, TapTool tool, const QString &saveFile)>;
/// @brief Starts one tap of several pods into one capture; returns the handle the Sessions panel shows.
using WorkloadSessionFactory = std::function<SessionHandle *(
    kube::KubeClient *client, const WorkloadTapRequest &request, TapTool tool, const QString &saveFile)>;

/// @brief The console's top-level window: context, namespaces, pods, details and sessions.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    explicit MainWindow(const MainWindowOptions &options = {}, QWidget *parent = nullptr);
    ~MainWindow() override;

    const kube::Kubeconfig &kubeconfig() const { return m_kubeconfig; }
    QString currentContext() const { return m_context; }
    /// Switches to context @p name; a broken context shows its error and leaves the window usable.
    void switchContext(const QString &name);
    /// Shows only @p namespaceName's pods; empty: all namespaces.
    void selectNamespace(const QString &namespaceName);
    QString currentNamespace() const;

    cluster::PodTableModel *podModel() const { return m_pods; }
    PodFilterProxyModel *podProxy() const { return m_podProxy; }
    QTableView *podView() const { return m_podView; }
    SessionsPanel *sessionsPanel() const { return m_sessions; }
    kube::KubeClient *client() const;
    kube::ClusterSession *clusterSession() const { return m_session; }

    /// How taps are started; until one is set, tapping explains that it is not available.
    void setSessionFactory(SessionFactory factory) { m_sessionFactory = std::move(factory); }
    /// Starts a tap from a filled-in dialog (what Enter → dialog → Start ends in).
    void startTap(const TapRequest &request, TapTool tool, const QString &saveFile);
    /// How taps of several pods are started; until one is set, the console's WorkloadTapSession.
    void setWorkloadSessionFactory(WorkloadSessionFactory factory) { m_workloadSessionFactory = std::move(factory); }
    /// Starts one tap of several pods from a filled-in dialog.
    void startWorkloadTap(const WorkloadTapRequest &request, TapTool tool, const QString &saveFile);
    /// The pods selected in the pod table, each `NS/NAME`, in the table's order.
    QStringList selectedPods() const;

    /// The text of Help → About: podtap's, Qt's and the API server's versions, and the docs link.
    QString aboutText() const;
    /// Whether File → Save tshark output… has something to save.
    bool canSaveCaptureOutput() const;
    /// Writes the Sessions panel's tshark output text to @p path; returns an error message, or empty.
    QString saveCaptureOutput(const QString &path) const;

    /// Offers to remove agent pods left by sessions that are gone (found by the sweep logic).
    void offerSweep(const QStringList &leftoverPods);

public Q_SLOTS:
    /// Looks for agent pods of dead sessions in the agent namespace and offers to remove them.
    void findLeftovers();
    /// Opens the tap dialog for the selected pod, or for several pods when several are selected (Ctrl/Shift-click).
    void tapSelectedPod();
    /// Opens the tap dialog for the current pod only (the details panel's button), whatever else is selected.
    void tapCurrentPod();

Q_SIGNALS:
    /// A context was connected: where the leftover sweep and other per-cluster hooks attach.
    void clusterConnected(podtap::kube::KubeClient *client);
    void sweepRequested(const QStringList &leftoverPods);
    /// The server answered /version.
    void serverVersionKnown(const QString &version);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildUi();
    void buildActions();
    void saveCaptureOutputAs();
    void showAbout();
    void populateContexts(const QString &preferred);
    void disconnectCluster();
    void updateConnectionState();
    void updateStatusDelegate();
    void onPodSelectionChanged();
    void tapPods(const QList<QModelIndex> &rows);
    void onNamespaceSelectionChanged();
    /// Shows @p text in @p banner as plain text: banners quote names and messages from the cluster.
    void showBanner(QLabel *banner, const QString &text);
    void removeLeftovers(const QStringList &names);
    QSet<QString> liveSessionIds() const;

    kube::Kubeconfig m_kubeconfig;
    QString m_context;
    /// The connection to the current context: client, watches, version and state live there.
    QPointer<kube::ClusterSession> m_session;
    bool m_closing = false;

    cluster::PodTableModel *m_pods = nullptr;
    cluster::NamespaceListModel *m_namespaces = nullptr;
    cluster::NodeListModel *m_nodes = nullptr;
    PodFilterProxyModel *m_podProxy = nullptr;
    QSortFilterProxyModel *m_namespaceProxy = nullptr;
    SessionFactory m_sessionFactory;
    WorkloadSessionFactory m_workloadSessionFactory;

    QComboBox *m_contextCombo = nullptr;
    QLabel *m_contextError = nullptr;
    QLabel *m_staleBanner = nullptr;
    QFrame *m_sweepBanner = nullptr;
    QLabel *m_sweepText = nullptr;
    QPushButton *m_sweepButton = nullptr;
    QPointer<SessionSweeper> m_sweep;
    QLineEdit *m_namespaceFilter = nullptr;
    QToolButton *m_allNamespaces = nullptr;
    QListView *m_namespaceView = nullptr;
    QLineEdit *m_podFilter = nullptr;
    QLabel *m_podCount = nullptr;
    QTableView *m_podView = nullptr;
    PodDetailsPanel *m_details = nullptr;
    QDockWidget *m_sessionsDock = nullptr;
    QPlainTextEdit *m_captureOutput = nullptr; ///< the Sessions panel's tshark output pane
    QAction *m_saveCaptureOutput = nullptr;
    QAction *m_sweepAction = nullptr;
    SessionsPanel *m_sessions = nullptr;
    QLabel *m_versionLabel = nullptr;
    QLabel *m_connectionLabel = nullptr;
    QStringList m_leftovers;
    QString m_selectedUidBeforeReset; ///< the selection survives the reset that ends a (re)list
    QStringList m_otherSelectedUidsBeforeReset; ///< the rest of a multi-selection, restored with it
};

} // namespace podtap::gui
