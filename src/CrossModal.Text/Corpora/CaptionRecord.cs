namespace CrossModal.Text.Corpora;

/// <summary>One caption of one image.</summary>
/// <param name="ImageId">The image's identifier in its corpus (COCO: the numeric image id; Flickr8k: the file name).</param>
/// <param name="Caption">The caption text as stored in the corpus.</param>
public sealed record CaptionRecord(string ImageId, string Caption);
