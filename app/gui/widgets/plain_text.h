// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "cluster/pod_health.h"

#include <QColor>
#include <QString>

class QLabel;
class QWidget;

namespace podtap::gui {

/// A QLabel that shows whatever it is given literally: for text from the cluster, a kubeconfig or
/// an agent (names, annotations, messages), which a tenant may have written to look like HTML.
QLabel *plainLabel(QWidget *parent);
/// @p text as a tooltip that shows literally: Qt renders a tooltip as HTML when it merely looks
/// like HTML (Qt::mightBeRichText), so untrusted text is escaped and wrapped. Empty stays empty.
QString plainToolTip(const QString &text);
/// The colour of @p health, from core's one health→style table.
QColor healthColor(cluster::PodHealth health);

} // namespace podtap::gui
