// Package export writes Cadre's data as CSV and XLSX files.
package export

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/unml/cadre/internal/referentiel"
)

// Formats lists the export formats.
var Formats = []string{"csv", "xlsx"}

var referentielHeader = []string{"Code", "Type", "Chemin", "Texte", "Précisions", "Impératif", "Référentiel", "Version"}

func referentielRows(r *referentiel.Referentiel) [][]string {
	items := r.Items()
	rows := make([][]string, 0, len(items))
	for _, it := range items {
		imperatif := "non"
		if it.Imperatif {
			imperatif = "oui"
		}
		rows = append(rows, []string{it.Code, it.Kind.Libelle(), strings.Join(it.Path, " > "), it.Texte,
			strings.Join(it.Precisions, " ; "), imperatif, r.Code, r.Version})
	}
	return rows
}

// Referentiel writes one row per assessable item of r, with its code, kind, path and
// text, in format "csv" (UTF-8 with a byte-order mark and semicolons, as spreadsheet
// software in French expects) or "xlsx".
func Referentiel(w io.Writer, r *referentiel.Referentiel, format string) error {
	rows := referentielRows(r)
	switch format {
	case "csv":
		if _, err := io.WriteString(w, "\ufeff"); err != nil {
			return err
		}
		cw := csv.NewWriter(w)
		cw.Comma = ';'
		cw.Write(referentielHeader)
		cw.WriteAll(rows)
		return cw.Error()
	case "xlsx":
		return writeXLSX(w, "Référentiel", referentielHeader, rows, []float64{14, 12, 60, 90, 60, 10, 16, 10})
	default:
		return fmt.Errorf("unknown export format %q (csv or xlsx)", format)
	}
}

// writeXLSX writes one sheet: a bold, frozen header row with filters, then rows.
func writeXLSX(w io.Writer, sheet string, header []string, rows [][]string, widths []float64) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for i, width := range widths {
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{Value: h, StyleID: bold}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return err
	}
	for r, row := range rows {
		cells := make([]any, len(row))
		for i, v := range row {
			cells[i] = excelize.Cell{Value: v, StyleID: wrap}
		}
		cell, _ := excelize.CoordinatesToCellName(1, r+2)
		if err := sw.SetRow(cell, cells); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	last, _ := excelize.CoordinatesToCellName(len(header), len(rows)+1)
	if err := f.AutoFilter(sheet, "A1:"+last, nil); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}
