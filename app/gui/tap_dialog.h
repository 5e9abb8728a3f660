// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "capture/capture_options.h"
#include "cluster/tap_interfaces.h"
#include "tap/tap_request.h"
#include "tap/workload_session.h"

#include <QDialog>
#include <QList>

class QButtonGroup;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace podtap::gui {

/// One interface the dialog offers (core decides which can be tapped: cluster::tapInterfaces).
using TapInterfaceChoice = cluster::TapInterface;

/// @brief The dialog's "Then:" choices; each maps onto core's CaptureOptions (captureOptionsFor()).
enum class TapTool { Wireshark, Tshark, None, SaveToFile };

/// The capture the dialog's choice means: "Save to a file" is tshark writing @p saveFile.
CaptureOptions captureOptionsFor(TapTool tool, const QString &saveFile);

/// @brief Asks how to tap one pod, or several pods into one capture: interface, direction, filter,
/// destination, tunnel, duration, tool (and for several pods the most pods to tap).
///
/// Every field is validated as the operator types, through TapRequest::fromFields (and for several pods
/// WorkloadTapRequest::validate()) and the capture filter compiler, and every problem is listed at once;
/// Start stays disabled until there are none. The last choices become the next defaults.
class TapDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TapDialog)

public:
    explicit TapDialog(const QString &namespaceName, const QString &pod, QWidget *parent = nullptr);
    /// For several pods (each `NS/NAME`) tapped into one capture: only "This machine" carries that.
    explicit TapDialog(const QStringList &pods, QWidget *parent = nullptr);
    ~TapDialog() override;

    /// Whether the dialog taps several pods (workloadRequest()) rather than one (request()).
    bool isForSeveralPods() const { return !m_pods.isEmpty(); }
    /// The pods of a tap of several pods, each `NS/NAME`.
    QStringList pods() const { return m_pods; }
    /// "3 pods: shop/a, shop/b, web/c" (cut after a few names).
    static QString describePods(const QStringList &pods);

    void setInterfaces(const QList<TapInterfaceChoice> &interfaces);
    void setNodes(const QStringList &nodes);
    /// Several pods: those of them not running now, each "NS/NAME (STATUS)"; the dialog says they are tapped
    /// once they run.
    void setPodsNotRunning(const QStringList &pods);

    /// The validated request (meaningful when problems() is empty).
    TapRequest request() const { return m_request; }
    /// The validated request for several pods (meaningful when isForSeveralPods() and problems() is empty).
    WorkloadTapRequest workloadRequest() const { return m_workloadRequest; }
    /// Every problem with the current input, each a full sentence; empty when Start is enabled.
    QStringList problems() const { return m_problems; }
    TapTool tool() const;
    QString saveFile() const;
    /// The validated capture choice, the same type podtapctl tap builds from its flags.
    CaptureOptions captureOptions() const { return captureOptionsFor(tool(), saveFile()); }

    /// Stores the current choices as the next defaults (done on accept).
    void saveDefaults() const;

    void accept() override;

private:
    void build();
    void revalidate();
    void updateDestinationWidgets();
    TapRequestFields fields() const;

    QString m_namespace;
    QString m_pod;
    QStringList m_pods; ///< several pods: `NS/NAME` each; empty for one pod
    TapRequest m_request;
    WorkloadTapRequest m_workloadRequest;
    QStringList m_problems;

    QLabel *m_cleartextNote = nullptr;
    QComboBox *m_interface = nullptr;
    QComboBox *m_direction = nullptr;
    QLineEdit *m_filter = nullptr;
    QLabel *m_filterStatus = nullptr;
    QButtonGroup *m_destinationGroup = nullptr;
    QRadioButton *m_toThisMachine = nullptr;
    QRadioButton *m_toNode = nullptr;
    QRadioButton *m_toIp = nullptr;
    QRadioButton *m_toLocalInterface = nullptr;
    QRadioButton *m_toApiServer = nullptr;
    QLabel *m_destinationNote = nullptr;
    QComboBox *m_node = nullptr;
    QLineEdit *m_ip = nullptr;
    QLineEdit *m_vni = nullptr;
    QLineEdit *m_port = nullptr;
    QLineEdit *m_duration = nullptr;
    QComboBox *m_tool = nullptr;
    QLineEdit *m_file = nullptr;
    QPushButton *m_browse = nullptr;
    QLineEdit *m_agentNamespace = nullptr;
    QLineEdit *m_agentImage = nullptr;
    QSpinBox *m_maxPods = nullptr; ///< several pods only
    QLabel *m_notRunning = nullptr; ///< several pods only
    QLabel *m_problemsLabel = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    QPushButton *m_start = nullptr;
};

} // namespace podtap::gui
