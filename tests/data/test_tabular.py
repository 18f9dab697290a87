"""load_csv: header detection, target selection, label encoding and error messages."""

import json

import numpy as np
import pytest

from backprop.data import CSVData, load_csv


def csv_file(tmp_path, text, name="table.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_header_and_string_labels(tmp_path):
    path = csv_file(tmp_path, "length,width,species\n1.5,2,setosa\n3,4.25,virginica\n5,6,setosa\n")
    data = load_csv(path)
    assert isinstance(data, CSVData)
    assert data.X.dtype == np.float32
    assert data.X.tolist() == [[1.5, 2.0], [3.0, 4.25], [5.0, 6.0]]
    assert data.feature_names == ["length", "width"]
    assert data.classes.tolist() == ["setosa", "virginica"]  # sorted
    assert data.y.dtype == np.int64 and data.y.tolist() == [0, 1, 0]
    assert data.classes[data.y].tolist() == ["setosa", "virginica", "setosa"]


def test_no_header_integer_labels_keep_numeric_order(tmp_path):
    path = csv_file(tmp_path, "0.5,1,10\n2,3,2\n4,5,10\n6,7,9\n")
    data = load_csv(path)
    assert data.feature_names == ["column_1", "column_2"]
    assert data.X.shape == (4, 2)
    assert data.classes.tolist() == [2, 9, 10]  # numeric, not string, order
    assert data.classes.dtype == np.int64
    assert data.y.tolist() == [2, 0, 2, 1]


def test_integer_labels_written_as_floats(tmp_path):
    data = load_csv(csv_file(tmp_path, "1,0.0\n2,1.0\n3,1\n"))
    assert data.classes.tolist() == [0, 1] and data.y.tolist() == [0, 1, 1]


def test_target_by_name_and_index_in_middle(tmp_path):
    path = csv_file(tmp_path, "a,label,b\n1,x,2\n3,y,4\n")
    by_name = load_csv(path, target="label")
    by_index = load_csv(path, target=1)
    by_negative = load_csv(path, target=-2)
    for data in (by_name, by_index, by_negative):
        assert data.feature_names == ["a", "b"]
        assert data.X.tolist() == [[1, 2], [3, 4]]
        assert data.y.tolist() == [0, 1]


def test_target_first_column_numeric_header_forced(tmp_path):
    # A header of numbers cannot be auto-detected; header=True says so.
    path = csv_file(tmp_path, "0,1,2\n1,5,6\n0,7,8\n")
    auto = load_csv(path, target=0)
    assert auto.X.shape == (3, 2)
    forced = load_csv(path, target=0, header=True)
    assert forced.feature_names == ["1", "2"] and forced.X.tolist() == [[5, 6], [7, 8]]


def test_header_false_reads_first_row_as_data(tmp_path):
    path = csv_file(tmp_path, "1,2,a\n3,4,b\n")
    data = load_csv(path, header=False)
    assert data.X.shape == (2, 2)
    # Header detection looks only at feature columns: a string label in row 1 is data.
    assert load_csv(path).X.shape == (2, 2)


def test_regression_target(tmp_path):
    path = csv_file(tmp_path, "x,y\n1,0.5\n2,-1.25\n")
    data = load_csv(path, task="regression")
    assert data.y.dtype == np.float32 and data.y.shape == (2, 1)
    assert data.y.ravel().tolist() == [0.5, -1.25]
    assert data.classes is None


def test_semicolon_delimiter_quotes_blank_lines_and_bom(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes('\ufeffa;b;label\n1;2;"big, red"\n\n3;4;small\n'.encode("utf-8"))
    data = load_csv(path, delimiter=";")
    assert data.feature_names == ["a", "b"]
    assert data.classes.tolist() == ["big, red", "small"]
    assert data.X.tolist() == [[1, 2], [3, 4]]


def test_classes_json_friendly(tmp_path):
    data = load_csv(csv_file(tmp_path, "a,l\n1,cat\n2,dog\n"))
    assert json.loads(json.dumps(data.classes.tolist())) == ["cat", "dog"]


@pytest.mark.parametrize("cell", ["", "NA", "nan", "?", " "])
def test_missing_value_names_file_row_and_column(tmp_path, cell):
    path = csv_file(tmp_path, f"alpha,beta,label\n1,2,a\n3,{cell},b\n")
    with pytest.raises(ValueError, match="missing value") as info:
        load_csv(path)
    message = str(info.value)
    assert "table.csv" in message and "row 3" in message and "'beta'" in message


def test_non_numeric_cell_row_counts_blank_lines(tmp_path):
    # Row numbers are file line numbers (1-based), blank lines included.
    path = csv_file(tmp_path, "alpha,beta,label\n1,2,a\n\n3,oops,b\n")
    with pytest.raises(ValueError, match="non-numeric value 'oops'") as info:
        load_csv(path)
    message = str(info.value)
    assert "table.csv" in message and "row 4" in message and "'beta'" in message


def test_non_numeric_without_header_names_generic_column(tmp_path):
    path = csv_file(tmp_path, "1,2,a\n3,x4,b\n")
    with pytest.raises(ValueError, match=r"row 2, column 'column_2'"):
        load_csv(path, header=False)


def test_missing_label(tmp_path):
    path = csv_file(tmp_path, "a,label\n1,x\n2,\n3,y\n")
    with pytest.raises(ValueError, match=r"missing label .* row 3"):
        load_csv(path)


def test_single_class_is_an_error(tmp_path):
    path = csv_file(tmp_path, "a,label\n1,cat\n2,cat\n")
    with pytest.raises(ValueError, match="single class") as info:
        load_csv(path)
    assert "at least 2 classes" in str(info.value)


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_empty_file(tmp_path, text):
    with pytest.raises(ValueError, match="empty") as info:
        load_csv(csv_file(tmp_path, text))
    assert "table.csv" in str(info.value)


def test_header_only(tmp_path):
    with pytest.raises(ValueError, match="no data rows"):
        load_csv(csv_file(tmp_path, "a,b,label\n"))


def test_ragged_row(tmp_path):
    with pytest.raises(ValueError, match=r"row 3 has 2 columns, expected 3"):
        load_csv(csv_file(tmp_path, "a,b,label\n1,2,x\n3,y\n"))


def test_single_column_suggests_delimiter(tmp_path):
    with pytest.raises(ValueError, match="delimiter"):
        load_csv(csv_file(tmp_path, "1;2;a\n3;4;b\n"))


def test_fractional_label_suggests_regression(tmp_path):
    with pytest.raises(ValueError, match="task='regression'"):
        load_csv(csv_file(tmp_path, "1,0.5\n2,1.0\n"))


def test_unknown_target_name_lists_columns(tmp_path):
    with pytest.raises(ValueError, match=r"'target' not found; the columns are \['a', 'b'\]"):
        load_csv(csv_file(tmp_path, "a,b\n1,x\n"), target="target")


@pytest.mark.parametrize("kwargs, error, match", [
    ({"target": 5}, ValueError, "out of range"),
    ({"target": 1.0}, TypeError, "target"),
    ({"target": "b", "header": False}, ValueError, "header=True"),
    ({"task": "ranking"}, ValueError, "task"),
    ({"header": "yes"}, ValueError, "header"),
])
def test_bad_arguments(tmp_path, kwargs, error, match):
    with pytest.raises(error, match=match):
        load_csv(csv_file(tmp_path, "a,b\n1,x\n2,y\n"), **kwargs)


def test_infinite_feature_rejected(tmp_path):
    with pytest.raises(ValueError, match="non-finite"):
        load_csv(csv_file(tmp_path, "a,l\ninf,x\n2,y\n"))
