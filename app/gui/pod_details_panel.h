// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QPersistentModelIndex>
#include <QWidget>

class QFormLayout;
class QLabel;
class QPushButton;
class QTreeWidget;

namespace podtap::gui {

/// @brief The selected pod in detail: status, containers, addresses, node, labels and interfaces.
///
/// Reads the pod typed (PodTableModel::podAt); which interfaces can be tapped comes from
/// cluster::tapInterfaces. Everything the cluster wrote is shown as plain text.
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
