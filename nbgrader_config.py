"""nbgrader configuration of the course (nbgrader 0.9).

Run nbgrader from the repository root (or anywhere with ``--config`` pointing here); all
paths are relative to the directory of this file, so the checkout can live anywhere.

Layout, with nbgrader's ``{root}/{nbgrader_step}/{student_id}/{assignment_id}`` structure
(``student_id`` is empty for the source and release steps)::

    solutions/NN_topic/NN_topic.ipynb            source: solutions + hidden tests (in git)
    exercises/NN_topic/NN_topic.ipynb            release: `nbgrader generate_assignment NN_topic`
                                                 (generated, committed)
    submitted/<student>/NN_topic/NN_topic.ipynb  collected student work      (not in git)
    autograded/<student>/NN_topic/...            `nbgrader autograde NN_topic` (not in git)
    feedback/<student>/NN_topic/...              `nbgrader generate_feedback`  (not in git)
    gradebook.db                                 grades                        (not in git)
"""

import os

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "hepcourse"
c.CourseDirectory.root = COURSE_ROOT
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = "submitted"
# autograded_directory ("autograded") and feedback_directory ("feedback") keep their defaults.

# Per-cell execution timeout in seconds for generate_assignment (validation run) and
# autograde: graded cells train a small CNN on 2 CPU cores in the quick profile.
# nbgrader's Execute preprocessor subclasses nbconvert's ExecutePreprocessor, so this
# section applies to it.
c.ExecutePreprocessor.timeout = 600

# What replaces a "### BEGIN SOLUTION ... ### END SOLUTION" block in the released notebook.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
