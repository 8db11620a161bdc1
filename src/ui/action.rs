//! What a key press means, independent of which key it was.

/// Everything a user can ask of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    FocusNext,
    FocusPrev,
    Help,
    Quit,
    Suspend,
    Send,
    Burst,
    TopicPicker,
    ThemePicker,
    /// The connection profiles: switch, make, change.
    ProfilePicker,
    NewProfile,
    EditProfile,
    SaveProfile,
    ToggleNull,
    CycleSerializer,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Edit,
    Apply,
    AddProperty,
    ResetSetting,
    Zoom,
    CycleDefaults,
    ApplyDefaults,
    Revert,
    CycleFilter,
    ToggleRequests,
    Fault,
    /// The chart, the counters and the verifier start from zero.
    Reset,
    Confirm,
    Cancel,
    Refresh,
    NewTopic,
    /// Ask for a comparison: one burst under two or more settings.
    Compare,
    /// Show the latest comparison again.
    ShowCompare,
    EditRules,
    SaveRules,
    /// Pause the running burst, or resume it.
    PauseFlow,
    StopFlow,
    /// Build a fresh producer with the same settings (after a fatal error).
    Rebuild,
    /// Begin, commit or abort a transaction (a transactional producer).
    Begin,
    Commit,
    Abort,
    /// Start a second producer with the same transactional.id: it fences
    /// this one.
    Fence,
    /// In the topic picker: the composer also sends to this topic.
    AlsoTopic,
    /// Write the run's events and the verifier's summary to a file.
    Export,
    /// Save the composed record as a template, by name.
    SaveTemplate,
    /// The template picker.
    TemplatePicker,
    /// The record list: history, or a file of records.
    Records,
    /// In the record list: mark the record, or unmark it.
    Mark,
    /// In the record list: send every record that matches the search.
    SendAll,
    /// In the record list: the record into the composer.
    LoadRecord,
    /// In the record list: list a file's records instead.
    OpenRecordFile,
    /// The text of the field or prompt being typed in, gone.
    ClearField,
    /// The focused key or value gets a schema serializer.
    Schema,
    /// The focused key or value is filled with a random record valid for
    /// its schema.
    RandomRecord,
}
