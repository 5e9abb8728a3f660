// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "capture/capture_options.h"
#include "cluster/tap_interfaces.h"
#include "tap/tap_request.h"

#include <QDialog>
#include <QList>

class QButtonGroup;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;

namespace podtap::gui {

/// One interface the dialog offers (core decides which can be tapped: cluster::tapInterfaces).
using TapInterfaceChoice = cluster::TapInterface;

/// @brief The dialog's "Then:" choices; each maps onto core's CaptureOptions (captureOptionsFor()).
enum class TapTool { Wireshark, Tshark, None, SaveToFile };

/// The capture the dialog's choice means: "Save to a file" is tshark writing @p saveFile.
CaptureOptions captureOptionsFor(TapTool tool, const QString &saveFile);

/// @brief Asks how to tap one pod: interface, direction, filter, destination, tunnel, duration, tool.
///
/// Every field is validated as the operator types, through TapRequest::fromFields and the capture
/// filter compiler, and every problem is listed at once; Start stays disabled until there are none.
/// The last choices become the next defaults.
class TapDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TapDialog)

public:
    explicit TapDialog(const QString &namespaceName, const QString &pod, QWidget *parent = nullptr);
    ~TapDialog() override;

    void setInterfaces(const QList<TapInterfaceChoice> &interfaces);
    void setNodes(const QStringList &nodes);

    /// The validated request (meaningful when problems() is empty).
    TapRequest request() const { return m_request; }
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
    void revalidate();
    void updateDestinationWidgets();
    TapRequestFields fields() const;

    QString m_namespace;
    QString m_pod;
    TapRequest m_request;
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
    QLabel *m_problemsLabel = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
    QPushButton *m_start = nullptr;
};

} // namespace podtap::gui
