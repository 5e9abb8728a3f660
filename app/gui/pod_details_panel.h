// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "tap_dialog.h"

#include <QPersistentModelIndex>
#include <QWidget>

class QFormLayout;
class QLabel;
class QPushButton;
class QTreeWidget;

namespace podtap::gui {

/// The interfaces a pod offers for tapping, from PodTableModel::InterfacesRole: eth0 plus the Multus
/// ones of its network-status annotation; kinds without a kernel netdev come back not tappable.
QList<TapInterfaceChoice> tapInterfaceChoices(const QVariant &interfaces);

/// "Running", "Waiting: CrashLoopBackOff", "Terminated: OOMKilled (exit 137)", "No status yet": one entry
/// of PodTableModel::ContainersRole as the details panel shows it.
QString containerStateText(const QVariantMap &container);

/// @brief The selected pod in detail: status, containers, addresses, node, labels and interfaces.
class PodDetailsPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PodDetailsPanel)

public:
    explicit PodDetailsPanel(QWidget *parent = nullptr);
    ~PodDetailsPanel() override;

    /// Shows the pod at @p index (any column of a PodTableModel or a proxy of one); invalid: none.
    void setPod(const QModelIndex &index);
    /// Re-reads the pod after its row changed.
    void refresh();
    QPersistentModelIndex pod() const { return m_index; }

Q_SIGNALS:
    void tapRequested();

private:
    QPersistentModelIndex m_index;
    QLabel *m_title = nullptr;
    QLabel *m_placeholder = nullptr;
    QWidget *m_body = nullptr;
    QLabel *m_status = nullptr;
    QLabel *m_containers = nullptr;
    QTreeWidget *m_containerList = nullptr;
    QLabel *m_node = nullptr;
    QLabel *m_ip = nullptr;
    QLabel *m_age = nullptr;
    QLabel *m_labels = nullptr;
    QTreeWidget *m_interfaces = nullptr;
    QPushButton *m_tap = nullptr;
};

} // namespace podtap::gui
